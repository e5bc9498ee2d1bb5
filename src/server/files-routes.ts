/**
 * The workspace file share over REST (`stratus file …` and the studio's file tree): list a
 * folder, download, upload (streamed; notebooks checked against nbformat v4), delete. Bodies are
 * bytes, never parsed as JSON.
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WorkspaceFiles } from '../files/workspace-files.ts';
import { invalid } from '../util/errors.ts';
import { assertSafeRelativePath } from '../artifacts/uri-policy.ts';
import { contentTypeFor } from './mlflow/artifact-routes.ts';

const BASE = '/api/v1/files';

/** The routes below, for the generated REST reference. */
export const FILE_ROUTES: [string, string, string][] = [
  ['GET', `${BASE}?path=<folder>`, 'list one folder of the share: `{files: [{path, is_dir, file_size}]}`'],
  ['GET', `${BASE}/content/<path>`, 'download a file'],
  ['PUT', `${BASE}/content/<path>`, 'upload a file (body = bytes; a `.ipynb` must be nbformat v4); written to a temporary name, then renamed'],
  ['DELETE', `${BASE}/content/<path>`, 'delete a file or folder'],
  ['POST', `${BASE}/rename?from=<path>&to=<path>`, 'rename or move a file or folder within the share (never over an existing one)'],
];

function sharePath(req: FastifyRequest): string {
  const rel = (req.params as Record<string, string>)['*'] ?? '';
  if (rel) assertSafeRelativePath(rel);
  return rel;
}

export async function fileRoutes(app: FastifyInstance, files: WorkspaceFiles): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.get(BASE, async (req) => {
    const dir = String((req.query as Record<string, unknown>).path ?? '').replace(/\/+$/, '');
    if (dir) assertSafeRelativePath(dir);
    return { path: dir, files: await files.list(dir) };
  });

  app.get(`${BASE}/content/*`, async (req, reply) => {
    const rel = sharePath(req);
    const st = await files.stat(rel);
    if (st.isDirectory()) throw invalid(`'${rel}' is a folder: list it with GET ${BASE}?path=${rel}.`);
    reply.header('Content-Type', contentTypeFor(rel));
    reply.header('Content-Length', st.size);
    reply.header('Content-Disposition', `attachment; filename="${path.basename(rel).replace(/"/g, '')}"`);
    return reply.send(files.openRead(rel));
  });

  app.put(`${BASE}/content/*`, async (req) => {
    const body = req.body as Readable | undefined;
    const { Readable: R } = await import('node:stream');
    return files.write(sharePath(req), body && typeof body.pipe === 'function' ? body : R.from([]));
  });

  app.post(`${BASE}/rename`, async (req) => {
    const q = req.query as Record<string, unknown>;
    const [from, to] = [q.from, q.to].map((v) => (typeof v === 'string' ? v.replace(/\/+$/, '') : ''));
    if (!from || !to) throw invalid('Give ?from=<path>&to=<path>, both inside the share.');
    assertSafeRelativePath(from, 'from');
    assertSafeRelativePath(to, 'to');
    return files.rename(from, to);
  });

  app.delete(`${BASE}/content/*`, async (req) => {
    await files.delete(sharePath(req));
    return {};
  });
}
