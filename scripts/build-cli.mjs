// Bundles the CLI and server into dist/stratus.js (dependencies stay in node_modules), so the
// `stratus` command starts in a fraction of the time running the TypeScript through tsx takes.
// Run by `npm ci`/`npm install` (prepare) and by the test script; bin/stratus.js falls back to
// tsx when the bundle is missing or older than the sources.
import { build } from 'esbuild';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
await build({
  // The ONNX runtime's worker thread is started from a file of its own (onnx-scorer.ts).
  entryPoints: { stratus: path.join(root, 'src/cli/main.ts'), 'onnx-thread': path.join(root, 'src/serving/onnx-thread.ts') },
  outdir: path.join(root, 'dist'),
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
