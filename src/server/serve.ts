/** Starts a workspace server: opens the store, builds the app, listens. */
import os from 'node:os';
import path from 'node:path';
import { openWorkspace, type Workspace } from '../workspace.ts';
import { buildApp } from './app.ts';
import { authEnabled, type AuthConfig } from './auth.ts';
import type { FastifyInstance } from 'fastify';
import { newKey } from '../util/secrets.ts';

export interface ServeOptions {
  host: string;
  port: number;
  dataDir: string;
  storeUrl?: string;
  auth?: AuthConfig;
  logger?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  workspace: Workspace;
  url: string;
  /** The first admin, when this start made one (a generated password is in it, to print once). */
  initialAdmin?: { username: string; password?: string };
  close(): Promise<void>;
}


export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The host name clients are told to use (scoring URIs): a server on every interface is reached by this machine's name, never by 0.0.0.0. */
export function advertisedHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return os.hostname();
  return host.includes(':') ? `[${host}]` : host;
}

/** Shortest secret accepted on a server other hosts can reach. */
export const MIN_SECRET_LENGTH = 16;

/** Secrets that are set must be real: blank ones are refused, and short ones on the network. */
function checkSecrets(host: string, auth: AuthConfig | undefined): void {
  const secrets: [string, string | undefined][] = [['STRATUS_AUTH_TOKEN', auth?.token], ['STRATUS_AUTH_PASSWORD', auth?.password]];
  for (const [name, value] of secrets) {
    if (value === undefined || value === '') continue;
    if (!value.trim()) throw new Error(`${name} is blank: set a real secret (at least ${MIN_SECRET_LENGTH} characters), or unset it.`);
    if (!isLoopback(host) && value.length < MIN_SECRET_LENGTH) {
      throw new Error(`${name} is ${value.length} characters long: a server listening on ${host} needs at least ${MIN_SECRET_LENGTH} (e.g. openssl rand -hex 24).`);
    }
  }
  if (auth?.username !== undefined && auth.username !== '' && !auth.username.trim()) throw new Error('STRATUS_AUTH_USERNAME is blank: set a user name, or unset it.');
}

/** A workspace runs users' code: it must never be reachable from the network by accident. */
export function checkExposure(host: string, auth: AuthConfig | undefined): void {
  checkSecrets(host, auth);
  if (!isLoopback(host) && !authEnabled(auth)) {
    throw new Error(
      `Refusing to listen on ${host} without authentication: anyone who can reach it could run code here.\n` +
        'Set a token with STRATUS_AUTH_TOKEN=<secret> (clients send it as MLFLOW_TRACKING_TOKEN), or a username and\n' +
        'password with STRATUS_AUTH_USERNAME and STRATUS_AUTH_PASSWORD, or listen on 127.0.0.1.',
    );
  }
}

/**
 * What a job's (or notebook's) MLflow client needs to authenticate to this server: the workspace
 * token when one is set, else the server's own jobs credential (a Contributor, made at start).
 */
function jobCredentials(auth: AuthConfig | undefined, jobsSecret: string): Record<string, string> {
  if (auth?.token) return { MLFLOW_TRACKING_TOKEN: auth.token };
  if (auth?.username && auth.password) return { MLFLOW_TRACKING_USERNAME: auth.username, MLFLOW_TRACKING_PASSWORD: auth.password };
  if (authEnabled(auth)) return { MLFLOW_TRACKING_TOKEN: jobsSecret };
  return {};
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  checkExposure(opts.host, opts.auth);
  const workspace = await openWorkspace({ dataDir: opts.dataDir, storeUrl: opts.storeUrl });
  const jobsSecret = newKey();
  // A server with authentication and no users yet gets its first admin.
  const initialAdmin = authEnabled(opts.auth) ? await workspace.access.ensureInitialAdmin(process.env) : undefined;
  const app = await buildApp(workspace, { auth: opts.auth, logger: opts.logger, jobsSecret });
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await workspace.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(`Port ${opts.port} on ${opts.host} is in use (another Stratus, or another program). ` +
        `Start on another port — stratus up --port ${opts.port + 1} (npm start -- --port ${opts.port + 1}) — and point the CLI at it: export STRATUS_URL=http://127.0.0.1:${opts.port + 1}`);
    }
    if (code === 'EACCES') throw new Error(`Port ${opts.port} needs privileges this user lacks: use a port above 1023 (stratus up --port 7700).`);
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  // Jobs reach the server on loopback even when it listens on all interfaces.
  const jobHost = isLoopback(opts.host) ? hostForUrl : '127.0.0.1';
  await workspace.jobs.start({
    uri: `http://${jobHost}:${port}`, env: jobCredentials(opts.auth, jobsSecret),
    // With accounts, a job runs with its submitter's own token, not a shared credential.
    credentials: authEnabled(opts.auth) ? {
      issue: async (job) => {
        const token = await workspace.access.issueJobToken(job);
        return token ? { MLFLOW_TRACKING_TOKEN: token } : undefined;
      },
      release: async (name) => workspace.access.releaseJobToken(await workspace.jobs.store.get(name)),
    } : undefined,
  });
  await workspace.endpoints.start(`http://${advertisedHost(opts.host)}:${port}`);
  await workspace.schedules.start();
  await workspace.computes.managed.start({
    publicUrl: `http://${advertisedHost(opts.host)}:${port}`, trackingUri: `http://${jobHost}:${port}`, trackingEnv: jobCredentials(opts.auth, jobsSecret),
    personalCredentials: authEnabled(opts.auth) ? {
      issue: async (compute, user) => {
        const token = await workspace.access.issueComputeToken(compute, user);
        return token ? { MLFLOW_TRACKING_TOKEN: token } : undefined;
      },
      release: (compute, user) => workspace.access.releaseComputeToken(compute, user),
    } : undefined,
  });
  return {
    app,
    workspace,
    initialAdmin,
    url: `http://${hostForUrl}:${port}`,
    async close() {
      await workspace.jobs.stop();
      await app.close();
      await workspace.close();
    },
  };
}
