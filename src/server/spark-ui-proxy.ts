/**
 * A Spark cluster's master web UI under `/computes/<name>/spark-ui/` on the workspace's port,
 * behind the workspace's authentication. The cluster runs with Spark's own reverse-proxy mode
 * (spark.ui.reverseProxy, its URL this prefix), so the master's pages link to its workers' and
 * running applications' UIs through itself — and so through here. A browser's first load may
 * carry the workspace token as `?token=`; it becomes a cookie for this UI's path only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ManagedComputes } from '../compute/managed.ts';
import { sparkWebUi } from '../compute/spark-runtime.ts';
import { StratusError } from '../util/errors.ts';
import { forwardHeaders, pipeRequest, proxyProblem } from './http-pipe.ts';
import { UI_TOKEN_COOKIE, UI_TOKEN_ROUTE } from './auth-gate.ts';

const PATH = /^\/computes\/([A-Za-z][\w-]{1,31})\/spark-ui(\/[^?#]*)?(\?.*)?$/;

const problem = proxyProblem("The Spark master's web UI");

async function proxy(req: FastifyRequest, reply: FastifyReply, computes: ManagedComputes): Promise<void> {
  const m = PATH.exec(req.url);
  if (!m) return void reply.status(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `No Spark UI path ${req.url.split('?')[0]}.` });
  const [, name, rest = '/', query = ''] = m;
  const params = new URLSearchParams(query.slice(1));
  const token = params.get('token');
  if (token !== null) {
    // The first load's token becomes a cookie for this UI's pages, and leaves the address bar.
    params.delete('token');
    const safe = /^[\w.~+/=-]*$/.test(token) ? token : '';
    const remaining = params.toString();
    reply.header('set-cookie', `${UI_TOKEN_COOKIE}=${encodeURIComponent(safe)}; Path=/computes/${name}/spark-ui/; HttpOnly; SameSite=Strict`);
    return void reply.redirect(`/computes/${name}/spark-ui${rest}${remaining ? `?${remaining}` : ''}`, 303);
  }
  let ui: URL;
  try {
    const row = await computes.running(name);
    const web = row.type === 'spark' ? sparkWebUi(row) : undefined;
    if (!web) throw new StratusError('INVALID_PARAMETER_VALUE', `Compute '${name}' has no Spark web UI here (a Spark cluster's, or an attached master's given as master_web_ui).`);
    ui = new URL(web);
  } catch (err) {
    const p = problem(err);
    return void reply.status(p.status).type('application/json').send(p.body);
  }
  const port = Number(ui.port || 80);
  pipeRequest(req, reply, { host: ui.hostname, port, path: `${rest}${query}`, headers: forwardHeaders(req.headers, ui.hostname, port), dropCookies: true, unreachable: problem });
}

export function registerSparkUiProxy(app: FastifyInstance, computes: ManagedComputes): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    for (const url of ['/computes/:name/spark-ui', '/computes/:name/spark-ui/*']) {
      scope.route({ method: ['GET', 'POST', 'HEAD'], url, config: UI_TOKEN_ROUTE, handler: (req, reply) => proxy(req, reply, computes) });
    }
  });
}
