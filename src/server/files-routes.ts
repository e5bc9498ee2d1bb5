/**
 * A file area over REST — the workspace file share (`stratus file …` and the studio's file tree)
 * and the default datastore (`stratus datastore upload …`): list a folder, download, upload
 * (streamed; notebooks checked against nbformat v4), rename, delete. Bodies are bytes, never
 * parsed as JSON.
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WorkspaceFiles } from '../files/workspace-files.ts';
import { invalid } from '../util/errors.ts';
import { assertSafeRelativePath } from '../artifacts/uri-policy.ts';
import { contentTypeFor } from './mlflow/artifact-routes.ts';

export const SHARE_FILES = '/api/v1/files';
export const DATASTORE_FILES = '/api/v1/datastores/:name/files';

/** The routes of a file area at `base`, for the generated REST reference. */
export function fileRouteTable(base: string, what: string): [string, string, string][] {
  return [
    ['GET', `${base}?path=<folder>`, `list one folder of ${what}: \`{files: [{path, is_dir, file_size, created_by, modified_by}]}\` (who wrote each through the API)`],
    ['GET', `${base}/content/<path>`, 'download a file'],
    ['PUT', `${base}/content/<path>`, 'upload a file (body = bytes; a `.ipynb` must be nbformat v4); written to a temporary name, then renamed'],
    ['DELETE', `${base}/content/<path>`, 'delete a file or folder'],
    ['POST', `${base}/rename?from=<path>&to=<path>`, `rename or move a file or folder within ${what} (never over an existing one)`],
  ];
}

function sharePath(req: FastifyRequest): string {
  const rel = (req.params as Record<string, string>)['*'] ?? '';
  if (rel) assertSafeRelativePath(rel);
  return rel;
}

/** Serves a file area at `base` (which may hold route parameters); `area` picks its files for a request. */
export async function fileRoutes(app: FastifyInstance, base: string, area: (req: FastifyRequest) => WorkspaceFiles): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  const BASE = base;

  app.get(BASE, async (req) => {
    const dir = String((req.query as Record<string, unknown>).path ?? '').replace(/\/+$/, '');
    if (dir) assertSafeRelativePath(dir);
    return { path: dir, files: await area(req).list(dir) };
  });

  app.get(`${BASE}/content/*`, async (req, reply) => {
    const rel = sharePath(req);
    const files = area(req);
    const st = await files.stat(rel);
    if (st.isDirectory()) throw invalid(`'${rel}' is a folder: list it with GET ${req.url.split('/content/')[0]}?path=${rel}.`);
    reply.header('Content-Type', contentTypeFor(rel));
    reply.header('Content-Length', st.size);
    reply.header('Content-Disposition', `attachment; filename="${path.basename(rel).replace(/"/g, '')}"`);
    return reply.send(files.openRead(rel));
  });

  app.put(`${BASE}/content/*`, async (req) => {
    const body = req.body as Readable | undefined;
    const { Readable: R } = await import('node:stream');
    return area(req).write(sharePath(req), body && typeof body.pipe === 'function' ? body : R.from([]));
  });

  app.post(`${BASE}/rename`, async (req) => {
    const q = req.query as Record<string, unknown>;
    const [from, to] = [q.from, q.to].map((v) => (typeof v === 'string' ? v.replace(/\/+$/, '') : ''));
    if (!from || !to) throw invalid('Give ?from=<path>&to=<path>, both inside the share.');
    assertSafeRelativePath(from, 'from');
    assertSafeRelativePath(to, 'to');
    return area(req).rename(from, to);
  });

  app.delete(`${BASE}/content/*`, async (req) => {
    await area(req).delete(sharePath(req));
    return {};
  });
}
