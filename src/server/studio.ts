/**
 * Serves the studio (the single-page app built from web/ into dist/web) at `/` on the API's port.
 * Asset files are served as they are; any other GET that is not an API path gets index.html, so
 * the app's own routes (/#/jobs/…) and reloads work. The shell holds no data: the app asks for a
 * token before it calls the API when the server runs with auth.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyReply } from 'fastify';

const here = import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname);
/** dist/web beside the bundle (dist/stratus.js), or from the sources (src/server). */
const WEB_DIRS = [path.join(here, 'web'), path.resolve(here, '../../dist/web')];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2', '.map': 'application/json',
};

export function isApiPath(url: string): boolean {
  return /^\/(api|ajax-api|endpoints)\//.test(url) || url === '/health' || url === '/version';
}

export function studioDir(): string | undefined {
  return WEB_DIRS.find((d) => fs.existsSync(path.join(d, 'index.html')));
}

/** Answers a GET for the studio; false when `url` is not the studio's to answer. */
export function serveStudio(url: string, reply: FastifyReply): boolean {
  if (isApiPath(url)) return false;
  const dir = studioDir();
  if (!dir) {
    void reply.code(503).type('text/plain').send('The studio has not been built: run `npm run build` (npm ci does it), then reload.');
    return true;
  }
  const rel = decodeURIComponent(url.split('?')[0]).replace(/^\/+/, '');
  const file = path.resolve(dir, rel);
  const inside = file.startsWith(dir + path.sep);
  if (inside && rel.startsWith('assets/') && fs.existsSync(file) && fs.statSync(file).isFile()) {
    // Hashed file names: cache them for good.
    void reply.header('Cache-Control', 'public, max-age=31536000, immutable').type(TYPES[path.extname(file)] ?? 'application/octet-stream').send(fs.createReadStream(file));
    return true;
  }
  void reply.header('Cache-Control', 'no-cache').type(TYPES['.html']).send(fs.readFileSync(path.join(dir, 'index.html')));
  return true;
}
