// The studio is built into dist/web, which `stratus up` serves at `/`. Everything it needs is
// bundled: no CDN at run time.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: { outDir: path.resolve(import.meta.dirname, '../dist/web'), emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: { fs: { allow: [path.resolve(import.meta.dirname, '..')] } },
});
