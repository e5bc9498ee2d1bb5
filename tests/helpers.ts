/** Test helpers: a real workspace (SQLite file in a temp dir) served on a loopback port. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { serve, type RunningServer } from '../src/server/serve.ts';
import type { AuthConfig } from '../src/server/auth.ts';
import type { StratusClient } from '../src/client/index.ts';

export function tempDir(prefix = 'stratus-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Every v1 reply is checked against its schema in the suites: a drifting reply fails the test that made it.
process.env.STRATUS_CHECK_REPLIES = '1';

/**
 * A server for a test. Its close() also stops the compute instances and Spark clusters it
 * started (tests stop what they start), unless `keepComputes` asks to leave them running for a
 * restarted server to adopt.
 */
export async function startServer(opts: { auth?: AuthConfig; dataDir?: string; storeUrl?: string; port?: number } = {}): Promise<Omit<RunningServer, 'close'> & { dataDir: string; close(o?: { keepComputes?: boolean }): Promise<void> }> {
  const dataDir = opts.dataDir ?? tempDir();
  const server = await serve({ host: '127.0.0.1', port: opts.port ?? 0, dataDir, auth: opts.auth, storeUrl: opts.storeUrl });
  const close = server.close.bind(server);
  return Object.assign(server, {
    dataDir,
    async close(o: { keepComputes?: boolean } = {}) {
      if (!o.keepComputes) await server.workspace.computes.managed.stopAll().catch(() => undefined);
      await close();
    },
  });
}

/** Polls a compute until it is in one of `want` (a compute instance or Spark cluster starting, stopping…). */
export async function waitComputeState(client: StratusClient, name: string, want: string[], timeoutMs: number): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await client.computes.get(name) as Record<string, any>;
    if (want.includes(c.state)) return c;
    if (Date.now() > deadline) throw new Error(`${name} stayed ${c.state} (${c.state_reason ?? ''})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

/** Sends a request with the path exactly as given (no URL normalisation), as an attacker would. */
export function raw(baseUrl: string, method: string, rawPath: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // Node sends GET and DELETE bodies without framing unless told their length.
    const framing: Record<string, string> = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    // `connection: close` means a socket of its own, never one from the pool.
    const agent = headers.connection === 'close' ? false : undefined;
    const req = http.request({ host: u.hostname, port: u.port, method, path: rawPath, headers: { ...framing, ...headers }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function api(baseUrl: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(baseUrl, method, `/api/2.0/mlflow${route}`, body === undefined ? undefined : JSON.stringify(body), {
    'content-type': 'application/json',
    ...headers,
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = path.resolve(import.meta.dirname, '../bin/stratus.js');

/** Runs the `stratus` command as a user would: `url` becomes STRATUS_URL, `env` adds variables. */
export function runCli(args: string[], opts: { url?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const env = { ...process.env, ...(opts.url ? { STRATUS_URL: opts.url } : {}), ...opts.env };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * A fresh database on the test PostgreSQL server (STRATUS_TEST_PG_URL, an admin URL), or
 * undefined when none is configured. `drop()` removes it.
 */
export async function freshPgDatabase(tag: string): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = process.env.STRATUS_TEST_PG_URL;
  if (!admin) return undefined;
  const { default: pg } = await import('pg');
  const name = `stratus_${tag}_${process.pid}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await run(`CREATE DATABASE ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
