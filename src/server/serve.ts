/** Starts a workspace server: opens the store, builds the app, listens. */
import os from 'node:os';
import path from 'node:path';
import { openWorkspace, type Workspace } from '../workspace.ts';
import { buildApp } from './app.ts';
import { authEnabled, type AuthConfig } from './auth.ts';
import type { FastifyInstance } from 'fastify';

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
  close(): Promise<void>;
}


export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** A workspace runs users' code: it must never be reachable from the network by accident. */
export function checkExposure(host: string, auth: AuthConfig | undefined): void {
  if (!isLoopback(host) && !authEnabled(auth)) {
    throw new Error(
      `Refusing to listen on ${host} without authentication: anyone who can reach it could run code here.\n` +
        'Set a token with STRATUS_AUTH_TOKEN=<secret> (clients send it as MLFLOW_TRACKING_TOKEN), or a username and\n' +
        'password with STRATUS_AUTH_USERNAME and STRATUS_AUTH_PASSWORD, or listen on 127.0.0.1.',
    );
  }
}

/** What a job's MLflow client needs to authenticate to this server. */
function jobCredentials(auth: AuthConfig | undefined): Record<string, string> {
  if (auth?.token) return { MLFLOW_TRACKING_TOKEN: auth.token };
  if (auth?.username && auth.password) return { MLFLOW_TRACKING_USERNAME: auth.username, MLFLOW_TRACKING_PASSWORD: auth.password };
  return {};
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  checkExposure(opts.host, opts.auth);
  const workspace = await openWorkspace({ dataDir: opts.dataDir, storeUrl: opts.storeUrl });
  const app = await buildApp(workspace, { auth: opts.auth, logger: opts.logger });
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await workspace.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  // Jobs reach the server on loopback even when it listens on all interfaces.
  const jobHost = isLoopback(opts.host) ? hostForUrl : '127.0.0.1';
  await workspace.jobs.start({ uri: `http://${jobHost}:${port}`, env: jobCredentials(opts.auth) });
  await workspace.endpoints.start(`http://${hostForUrl}:${port}`);
  await workspace.schedules.start();
  return {
    app,
    workspace,
    url: `http://${hostForUrl}:${port}`,
    async close() {
      await workspace.jobs.stop();
      await app.close();
      await workspace.close();
    },
  };
}
