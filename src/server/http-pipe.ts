/**
 * One proxied HTTP request, piped both ways: the client's body to the upstream server and the
 * reply back, never buffered — except HTML pages when the caller rewrites them. Used by the
 * Jupyter proxy and the Spark UI proxy.
 */
import http from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StratusError } from '../util/errors.ts';

/** Request headers that describe the client's hop or carry its credentials: not forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'authorization', 'cookie', 'host', 'origin', 'referer']);

/** The client's headers an upstream may see, addressed to `host:port`. */
export function forwardHeaders(headers: http.IncomingHttpHeaders, host: string, port: number): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
  out.host = `${host}:${port}`;
  return out;
}

/**
 * A proxied request's failure as its reply: the target unknown (404) or not running (409), or
 * `upstream` (e.g. "The instance's Jupyter server") not answering (502).
 */
export function proxyProblem(upstream: string): (err: unknown) => { status: number; body: string } {
  return (err) => {
    if (err instanceof StratusError) {
      const status = err.code === 'RESOURCE_DOES_NOT_EXIST' ? 404 : err.code === 'PERMISSION_DENIED' ? 403 : 409;
      return { status, body: JSON.stringify({ error_code: err.code, message: err.message }) };
    }
    return { status: 502, body: JSON.stringify({ error_code: 'BAD_GATEWAY', message: `${upstream} did not answer: ${(err as Error).message}` }) };
  };
}

export interface PipeTarget {
  host: string;
  port: number;
  path: string;
  headers: http.OutgoingHttpHeaders;
  /** Rewrites HTML pages before they leave (they are buffered then); others stream. */
  rewriteHtml?: (page: string) => string;
  /** The upstream's cookies are its own business, not the client's. */
  dropCookies?: boolean;
  /** Told the upstream's status once it answers; the answer goes on to the client when its promise settles. */
  onStatus?: (status: number) => Promise<void> | void;
  /** Sees each chunk of the request body as it goes upstream. */
  onChunk?: (chunk: Buffer) => void;
  /** The reply when the upstream does not answer. */
  unreachable: (err: Error) => { status: number; body: string };
}

export function pipeRequest(req: FastifyRequest, reply: FastifyReply, t: PipeTarget): void {
  reply.hijack();
  const res = reply.raw;
  const upstream = http.request({ host: t.host, port: t.port, method: req.method, path: t.path, headers: t.headers }, (up) => {
    if (!t.onStatus) return answer(up);
    up.pause();
    void Promise.resolve(t.onStatus(up.statusCode ?? 502)).catch(() => undefined).then(() => answer(up));
  });
  const answer = (up: http.IncomingMessage) => {
    const headers = { ...up.headers };
    if (t.dropCookies) delete headers['set-cookie'];
    const html = String(headers['content-type'] ?? '').startsWith('text/html');
    if (!html || !t.rewriteHtml) {
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    up.on('data', (c: Buffer) => chunks.push(c));
    up.on('end', () => {
      const body = Buffer.from(t.rewriteHtml!(Buffer.concat(chunks).toString('utf8')));
      delete headers['content-length'];
      res.writeHead(up.statusCode ?? 502, { ...headers, 'content-length': body.length });
      res.end(body);
    });
  };
  upstream.on('error', (err) => {
    if (!res.headersSent) {
      const p = t.unreachable(err);
      res.writeHead(p.status, { 'content-type': 'application/json' });
      res.end(p.body);
    } else res.destroy();
  });
  res.on('close', () => upstream.destroy());
  const body = req.body as NodeJS.ReadableStream | undefined;
  if (body && typeof body.pipe === 'function') {
    body.pipe(upstream);
    // Only after pipe(): a listener added earlier would start the flow before upstream takes it.
    if (t.onChunk) body.on('data', t.onChunk);
  } else upstream.end();
}
