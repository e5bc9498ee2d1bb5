/**
 * Each running compute instance's Jupyter Server — REST API, kernel WebSockets, JupyterLab —
 * under `/compute-instances/<name>/jupyter/` on the workspace's own port, behind the workspace's
 * authentication. Clients send the workspace token as Jupyter clients send theirs
 * (`Authorization: token …`, `Bearer`, Basic, or `?token=` where a browser WebSocket cannot send
 * headers); the proxy replaces it with the instance's own Jupyter token, which never leaves the
 * server. Bodies and WebSocket frames are piped, never buffered or parsed. A compute instance is
 * personal, as in Azure ML: with accounts, only the user it is assigned to gets through.
 */
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ManagedComputes } from '../compute/managed.ts';
import { instanceBaseUrl } from '../compute/jupyter-runtime.ts';
import { StratusError } from '../util/errors.ts';
import { QUERY_TOKEN_ROUTE } from './auth-gate.ts';
import { forwardHeaders, pipeRequest, proxyProblem } from './http-pipe.ts';
import { contentsAuthorship } from './jupyter-authorship.ts';
import type { FileAuthors } from '../files/file-authors.ts';

export const JUPYTER_PREFIX = '/compute-instances/';
const PATH = /^\/compute-instances\/([A-Za-z][\w-]{1,31})\/jupyter(\/[^?#]*)?(\?.*)?$/;


/** The query string without the workspace token (Jupyter would read it as a wrong token of its own). */
function withoutToken(query: string | undefined): { query: string; token?: string } {
  if (!query) return { query: '' };
  const params = new URLSearchParams(query.slice(1));
  const token = params.get('token') ?? undefined;
  params.delete('token');
  const rest = params.toString();
  return { query: rest ? `?${rest}` : '', token };
}

/**
 * Whether credentials (a header, or `Bearer <?token=>`, else the studio session's cookie) may use a
 * Jupyter server: the workspace's access gate decides. Allowed: who the caller is (undefined on a
 * server without accounts, where there is nobody to tell apart).
 */
export type UpgradeCheck = (credentials: string | undefined, cookies: string | undefined) => Promise<{ user?: string } | 'unauthenticated' | 'forbidden'>;

/** Where a running compute instance's Jupyter listens, and with which token — for its own user only. */
async function jupyterTarget(computes: ManagedComputes, name: string, caller: string | undefined): Promise<{ port: number; token: string; baseUrl: string }> {
  const row = await computes.running(name);
  if (row.type !== 'computeinstance' || !row.token) throw new StratusError('INVALID_PARAMETER_VALUE', `Compute '${name}' is not a compute instance: it has no Jupyter.`);
  const assignee = computes.assignee(row);
  if (caller !== undefined && assignee !== undefined && caller !== assignee) {
    throw new StratusError('PERMISSION_DENIED', `Compute instance '${name}' is assigned to '${assignee}': a compute instance is personal, so only its user opens its notebooks and kernels. `
      + `Create your own: stratus compute create --name <name> --type computeinstance (an admin may create one on your behalf: create_on_behalf_of).`);
  }
  return { port: Number(row.port), token: row.token, baseUrl: instanceBaseUrl(name) };
}

function jupyterHeaders(headers: http.IncomingHttpHeaders, port: number, token: string): http.OutgoingHttpHeaders {
  const out = forwardHeaders(headers, '127.0.0.1', port);
  // Jupyter compares a WebSocket's Origin with its own host; the workspace has already vouched for the client.
  if (headers.origin) out.origin = `http://127.0.0.1:${port}`;
  out.authorization = `token ${token}`;
  return out;
}

const problem = proxyProblem("The instance's Jupyter server");

export function registerJupyterProxy(app: FastifyInstance, instances: ManagedComputes, check: UpgradeCheck, authors?: FileAuthors): void {
  // Bodies pass through untouched: no parser reads them.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: `${JUPYTER_PREFIX}:name/jupyter/*`,
      config: QUERY_TOKEN_ROUTE,
      handler: (req, reply) => proxyHttp(req, reply, instances, authors),
    });
  });
  app.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    void proxyUpgrade(req, socket, head, instances, check);
  });
}

async function proxyHttp(req: FastifyRequest, reply: FastifyReply, instances: ManagedComputes, authors: FileAuthors | undefined): Promise<void> {
  const m = PATH.exec(req.url);
  if (!m) {
    reply.status(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `No compute instance path ${req.url.split('?')[0]}.` });
    return;
  }
  const [, name, rest = '/', rawQuery] = m;
  let target;
  try {
    // Who asks: the access gate's principal; nobody to tell apart on a server without accounts.
    target = await jupyterTarget(instances, name, req.principal && req.principal.via !== 'open' ? req.principal.name : undefined);
  } catch (err) {
    const p = problem(err);
    reply.status(p.status).type('application/json').send(p.body);
    return;
  }
  instances.touch(name);
  const { query, token: queryToken } = withoutToken(rawQuery);
  // A page that embeds Jupyter's token gets the client's own workspace token in its place, so the
  // page's later requests authenticate to the workspace the way this one did.
  const header = req.headers.authorization ?? '';
  const presented = /^(bearer|token)\s/i.test(header) ? header.replace(/^\S+\s+/, '') : queryToken ?? '';
  const clientToken = /^[\w.~+/=-]*$/.test(presented) ? presented : ''; // it goes into a page: nothing that could break out of a string
  // Saves, renames and deletes through Jupyter are recorded as the files API's are (created_by/modified_by).
  const watch = contentsAuthorship(req.method, rest, authors, req.principal?.name);
  pipeRequest(req, reply, {
    ...watch,
    host: '127.0.0.1', port: target.port, path: `${target.baseUrl.slice(0, -1)}${rest}${query}`,
    headers: jupyterHeaders(req.headers, target.port, target.token),
    // Jupyter's own login cookie is no business of the client's.
    dropCookies: true,
    // Pages embed the server's token in their config: swap it before the page leaves.
    rewriteHtml: (page) => page.split(target.token).join(clientToken),
    unreachable: problem,
  });
}

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error_code: status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'PERMISSION_DENIED' : status === 404 ? 'ENDPOINT_NOT_FOUND' : 'INVALID_STATE', message });
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** A WebSocket (kernel channels, terminals, events): checked, then spliced to Jupyter byte for byte. */
async function proxyUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, instances: ManagedComputes, check: UpgradeCheck): Promise<void> {
  socket.on('error', () => socket.destroy());
  const m = PATH.exec(req.url ?? '');
  const { query, token } = withoutToken(m?.[3]);
  // Credentials first, whatever the path: nothing about instances is told to a stranger.
  const verdict = await check(req.headers.authorization ?? (token !== undefined ? `Bearer ${token}` : undefined), req.headers.cookie);
  if (verdict === 'unauthenticated') return refuse(socket, 401, 'Authentication required: send a token (Authorization header or ?token=).');
  if (verdict === 'forbidden') return refuse(socket, 403, 'Permission denied: notebooks run code, which needs notebooks/execute (Owner, Contributor or AzureML Data Scientist).');
  if (!m) return refuse(socket, 404, 'WebSockets are served only under /compute-instances/<name>/jupyter/.');
  let target;
  try {
    target = await jupyterTarget(instances, m[1], verdict.user);
  } catch (err) {
    const p = problem(err);
    return refuse(socket, p.status, JSON.parse(p.body).message);
  }
  instances.touch(m[1]);
  const upstream = net.connect(target.port, '127.0.0.1');
  upstream.setNoDelay(true);
  if ('setNoDelay' in socket) (socket as net.Socket).setNoDelay(true);
  const headers = jupyterHeaders(req.headers, target.port, target.token);
  headers.connection = 'Upgrade';
  headers.upgrade = req.headers.upgrade ?? 'websocket';
  const lines = [`${req.method} ${target.baseUrl.slice(0, -1)}${m[2] ?? '/'}${query} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) for (const value of ([] as unknown[]).concat(v)) lines.push(`${k}: ${value}`);
  upstream.on('connect', () => {
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  let last = 0;
  socket.on('data', () => {
    const now = Date.now();
    if (now - last > 1000) {
      last = now;
      instances.touch(m[1]);
    }
  });
  upstream.on('error', () => socket.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
}
