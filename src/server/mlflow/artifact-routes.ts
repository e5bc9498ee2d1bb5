/**
 * MLflow's artifact proxy (`/api/2.0/mlflow-artifacts`): clients upload, download, list and
 * delete run and model artifacts through the server, which keeps them in its artifact store.
 * Bodies are streamed, never parsed: an uploaded JSON file is just bytes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Workspace } from '../../workspace.ts';
import { invalid, StratusError } from '../../util/errors.ts';
import { compact, requestArgs, str } from './request.ts';
import { assertSafeRelativePath } from '../../artifacts/uri-policy.ts';

// Types a browser may render inline; everything else downloads as bytes, so an uploaded
// HTML or SVG file can never run script in the workspace's origin.
const INLINE_TYPES: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8', '.log': 'text/plain; charset=utf-8', '.json': 'application/json',
  '.yaml': 'text/plain; charset=utf-8', '.yml': 'text/plain; charset=utf-8', '.csv': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8', '.py': 'text/plain; charset=utf-8', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.gif': 'image/gif',
};

export function contentTypeFor(file: string): string {
  const base = path.basename(file);
  if (base === 'MLmodel') return 'text/plain; charset=utf-8';
  return INLINE_TYPES[path.extname(base).toLowerCase()] ?? 'application/octet-stream';
}

/** The artifact path from the URL tail; Fastify has already percent-decoded it once. */
function artifactPath(req: FastifyRequest): string {
  const tail = (req.params as Record<string, string>)['*'] ?? '';
  if (tail.includes('\0')) throw invalid('Invalid artifact path: it contains a NUL byte.');
  return tail;
}

/** The routes below, for the generated REST reference. */
export const ARTIFACT_ROUTES: [string, string, string][] = [
  ['GET', '/api/2.0/mlflow-artifacts/artifacts?path=<dir>', 'list one folder: `{files: [{path, is_dir, file_size}]}`'],
  ['GET', '/api/2.0/mlflow-artifacts/artifacts/<path>', 'download a file'],
  ['PUT', '/api/2.0/mlflow-artifacts/artifacts/<path>', 'upload a file (body = bytes); written to a temporary name, then renamed'],
  ['DELETE', '/api/2.0/mlflow-artifacts/artifacts/<path>', 'delete a file or folder'],
  ['POST', '/api/2.0/mlflow-artifacts/mpu/{create,complete,abort}/<path>', '`NOT_IMPLEMENTED` (501): clients upload with one PUT'],
];

export async function artifactRoutes(app: FastifyInstance, ws: Workspace): Promise<void> {
  // Uploads stream straight to disk whatever their Content-Type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const base = '/api/2.0/mlflow-artifacts';

  app.get(`${base}/artifacts`, async (req) => {
    const args = requestArgs(req);
    const rel = (str(args, 'path') ?? '').replace(/\/+$/, '');
    if (rel) assertSafeRelativePath(rel);
    const files = await ws.artifacts.list(rel);
    return { files: files.map((f) => compact({ path: f.path, is_dir: f.is_dir, file_size: f.file_size })) };
  });

  app.get(`${base}/artifacts/*`, async (req, reply) => {
    const rel = artifactPath(req);
    const st = await ws.artifacts.stat(rel);
    if (st.isDirectory()) throw invalid(`'${rel}' is a directory: list it with GET ${base}/artifacts?path=${rel}.`);
    reply.header('Content-Type', contentTypeFor(rel));
    reply.header('Content-Length', st.size);
    reply.header('Content-Disposition', `attachment; filename="${path.basename(rel).replace(/"/g, '')}"`);
    return reply.send(ws.artifacts.openRead(rel));
  });

  app.put(`${base}/artifacts/*`, async (req) => {
    const rel = artifactPath(req);
    await ws.artifactAccess.assertWritable(rel);
    const body = req.body as Readable | undefined;
    if (!body || typeof (body as Readable).pipe !== 'function') {
      const { Readable: R } = await import('node:stream');
      await ws.artifacts.write(rel, R.from([]));
    } else {
      await ws.artifacts.write(rel, body);
    }
    return {};
  });

  app.delete(`${base}/artifacts/*`, async (req) => {
    const rel = artifactPath(req);
    await ws.artifactAccess.assertDeletable(rel);
    await ws.artifacts.delete(rel);
    return {};
  });

  for (const action of ['create', 'complete', 'abort']) {
    app.post(`${base}/mpu/${action}/*`, async () => {
      throw new StratusError('NOT_IMPLEMENTED', 'Multipart upload is not supported by this workspace; upload the file with a single PUT.');
    });
  }
}

