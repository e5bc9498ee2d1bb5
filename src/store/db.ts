/**
 * A small async SQL adapter over SQLite (better-sqlite3) and PostgreSQL (pg).
 *
 * Services write portable SQL with `?` placeholders; the PostgreSQL adapter rewrites them to
 * `$n`. Every write goes through `tx()`: on SQLite one writer connection (as WAL requires)
 * with group commit, on PostgreSQL a pooled client transaction.
 */
import { AsyncResource } from 'node:async_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import fs from 'node:fs';
import path from 'node:path';

export type Dialect = 'sqlite' | 'postgres';
export type Row = Record<string, any>;
export type Param = string | number | bigint | null | boolean | Buffer;

/** `signal`: the read is cancelled on the database when it fires (a request whose client went away). */
export interface ReadOptions { signal?: AbortSignal }

export interface Db {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: Param[], opts?: ReadOptions): Promise<T[]>;
  get<T = Row>(sql: string, params?: Param[]): Promise<T | undefined>;
  run(sql: string, params?: Param[]): Promise<number>;
  /**
   * Runs a one-row `INSERT … VALUES (?, …) [suffix]` for many rows. SQLite runs the prepared
   * statement per row (binding thousands of parameters at once is slower there); PostgreSQL
   * sends multi-row VALUES in chunks to save round trips.
   */
  runMany(sql: string, rows: Param[][]): Promise<void>;
  /** Runs `fn` in one transaction; `fn` must use the Db it is given. */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: waits until no other transaction holds `key`, then holds it until
   * commit. Used where a new id is derived from existing rows (MAX + 1). SQLite already has
   * one writer, so only PostgreSQL needs to do anything.
   */
  lock(key: string): Promise<void>;
  close(): Promise<void>;
}

class SqliteConnection {
  private cache = new Map<string, Database.Statement>();
  constructor(readonly raw: Database.Database) {}
  stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      if (this.cache.size > 2000) this.cache.clear();
      this.cache.set(sql, s);
    }
    return s;
  }
}

function sqliteParams(params: Param[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

class SqliteTxView implements Db {
  readonly dialect = 'sqlite' as const;
  constructor(private conn: SqliteConnection) {}
  async all<T>(sql: string, params?: Param[]): Promise<T[]> {
    return this.conn.stmt(sql).all(...sqliteParams(params)) as T[];
  }
  async get<T>(sql: string, params?: Param[]): Promise<T | undefined> {
    return this.conn.stmt(sql).get(...sqliteParams(params)) as T | undefined;
  }
  async run(sql: string, params?: Param[]): Promise<number> {
    return this.conn.stmt(sql).run(...sqliteParams(params)).changes;
  }
  async runMany(sql: string, rows: Param[][]): Promise<void> {
    const stmt = this.conn.stmt(sql);
    for (const row of rows) stmt.run(...sqliteParams(row));
  }
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return fn(this); // already inside a transaction
  }
  async lock(): Promise<void> {}
  async close(): Promise<void> {}
}

const OPTIMIZE_EVERY_COMMITS = 5000;
const MAX_GROUP = 64;

interface PendingTx {
  fn: (db: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private writer: SqliteConnection;
  private reader: SqliteConnection;
  private queue: PendingTx[] = [];
  private draining = false;
  private commitsSinceOptimize = 0;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const open = (readonly: boolean) => {
      const raw = new Database(file, { readonly: readonly && fs.existsSync(file), timeout: 10_000 });
      raw.pragma('journal_mode = WAL');
      raw.pragma('synchronous = NORMAL');
      raw.pragma('busy_timeout = 10000');
      raw.pragma('foreign_keys = ON');
      // MLflow's LIKE is case-sensitive; ILIKE is translated to lower() LIKE lower().
      raw.pragma('case_sensitive_like = ON');
      return new SqliteConnection(raw);
    };
    this.writer = open(false);
    this.reader = open(true);
    // Keep the planner's statistics fresh as tables grow (SQLite's advice for long-lived
    // connections); analysis_limit bounds the cost of each pass.
    this.writer.raw.pragma('analysis_limit = 1000');
    this.writer.raw.pragma('optimize = 0x10002');
  }

  /** Re-analyses changed tables every few thousand commits; cheap when little changed. */
  private maybeOptimize(transactions: number): void {
    this.commitsSinceOptimize += transactions;
    if (this.commitsSinceOptimize < OPTIMIZE_EVERY_COMMITS) return;
    this.commitsSinceOptimize = 0;
    this.writer.raw.pragma('optimize');
  }

  // Reads outside a transaction use their own connection, so they see only committed data.
  async all<T>(sql: string, params?: Param[]): Promise<T[]> {
    return this.reader.stmt(sql).all(...sqliteParams(params)) as T[];
  }
  async get<T>(sql: string, params?: Param[]): Promise<T | undefined> {
    return this.reader.stmt(sql).get(...sqliteParams(params)) as T | undefined;
  }
  run(sql: string, params?: Param[]): Promise<number> {
    return this.tx((db) => db.run(sql, params));
  }
  runMany(sql: string, rows: Param[][]): Promise<void> {
    return this.tx((db) => db.runMany(sql, rows));
  }
  /**
   * Group commit: writers that arrive while a transaction is running are queued, then run
   * together in one SQLite transaction, each inside its own SAVEPOINT so a failing caller rolls
   * back only its own writes. One commit (one WAL write) serves the whole group; every caller's
   * promise settles only after that commit.
   */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // The group runs later, from the drainer: each callback keeps its caller's async context (who is acting).
      this.queue.push({ fn: AsyncResource.bind(fn) as (db: Db) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        // Start on the next turn of the event loop, so requests read in this turn join the group.
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    const raw = this.writer.raw;
    const view = new SqliteTxView(this.writer);
    try {
      while (this.queue.length) {
        const group = this.queue.splice(0, MAX_GROUP);
        let done: { p: PendingTx; result: unknown }[] = [];
        for (const p of group) {
          try {
            if (!raw.inTransaction) raw.prepare('BEGIN IMMEDIATE').run();
          } catch (err) {
            p.reject(err);
            continue;
          }
          raw.prepare('SAVEPOINT stratus_tx').run();
          try {
            const result = await p.fn(view);
            raw.prepare('RELEASE stratus_tx').run();
            done.push({ p, result });
          } catch (err) {
            if (raw.inTransaction) {
              raw.prepare('ROLLBACK TO stratus_tx').run();
              raw.prepare('RELEASE stratus_tx').run();
            } else {
              // SQLite aborted the whole transaction: earlier members of the group are lost too.
              for (const d of done) d.p.reject(err);
              done = [];
            }
            p.reject(err);
          }
        }
        if (!raw.inTransaction) continue;
        try {
          raw.prepare('COMMIT').run();
        } catch (err) {
          if (raw.inTransaction) raw.prepare('ROLLBACK').run();
          for (const d of done) d.p.reject(err);
          continue;
        }
        for (const d of done) d.p.resolve(d.result);
        this.maybeOptimize(group.length);
      }
    } finally {
      this.draining = false;
    }
  }
  async lock(): Promise<void> {}
  async close(): Promise<void> {
    await this.tx(async () => undefined);
    this.reader.raw.close();
    this.writer.raw.close();
  }
}

// PostgreSQL returns BIGINT (int8) and NUMERIC as strings by default; our ids and times fit
// in a double, so parse them as numbers.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

const PG_CHUNK_ROWS = 200;

/** `INSERT … VALUES (?, ?) suffix` with `rows` tuples instead of one. */
function multiRow(sql: string, rows: number): string {
  const m = /^([\s\S]*?VALUES\s*)(\([^)]*\))([\s\S]*)$/.exec(sql);
  if (!m) throw new Error(`runMany needs an INSERT … VALUES (…) statement: ${sql}`);
  return m[1] + new Array(rows).fill(m[2]).join(', ') + m[3];
}

async function pgRunMany(run: (sql: string, params: Param[]) => Promise<number>, sql: string, rows: Param[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += PG_CHUNK_ROWS) {
    const chunk = rows.slice(i, i + PG_CHUNK_ROWS);
    await run(multiRow(sql, chunk.length), chunk.flat());
  }
}

function toPg(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

class PgClientView implements Db {
  readonly dialect = 'postgres' as const;
  constructor(private client: pg.PoolClient) {}
  async all<T>(sql: string, params?: Param[]): Promise<T[]> {
    return (await this.client.query(toPg(sql), params as unknown[])).rows as T[];
  }
  async get<T>(sql: string, params?: Param[]): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  async run(sql: string, params?: Param[]): Promise<number> {
    return (await this.client.query(toPg(sql), params as unknown[])).rowCount ?? 0;
  }
  runMany(sql: string, rows: Param[][]): Promise<void> {
    return pgRunMany((q, p) => this.run(q, p), sql, rows);
  }
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }
  async lock(key: string): Promise<void> {
    await this.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
  }
  async close(): Promise<void> {}
}

/** Bounds on PostgreSQL work, so no request can hold the pool: see docs/security.md. */
export const PG_LIMITS = {
  /** A statement running longer is stopped by the server (SQLSTATE 57014). */
  statementTimeoutMs: Number(process.env.STRATUS_PG_STATEMENT_TIMEOUT_MS) || 30_000,
  /** Waiting longer than this for a pooled connection fails the request with a 503. */
  connectTimeoutMs: 10_000,
  poolSize: 10,
};

export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  constructor(private url: string) {
    this.pool = new pg.Pool({
      connectionString: url, max: PG_LIMITS.poolSize,
      statement_timeout: PG_LIMITS.statementTimeoutMs, connectionTimeoutMillis: PG_LIMITS.connectTimeoutMs,
    });
    // An idle client losing its connection must not crash the server.
    this.pool.on('error', () => undefined);
  }
  async all<T>(sql: string, params?: Param[], opts?: ReadOptions): Promise<T[]> {
    if (!opts?.signal) return (await this.pool.query(toPg(sql), params as unknown[])).rows as T[];
    return this.cancellable<T>(sql, params, opts.signal);
  }

  /** A read that the server cancels (pg_cancel_backend) when the request's client goes away. */
  private async cancellable<T>(sql: string, params: Param[] | undefined, signal: AbortSignal): Promise<T[]> {
    if (signal.aborted) throw new Error('The client went away before the query started.');
    const client = await this.pool.connect();
    const cancel = () => void this.cancelBackend((client as unknown as { processID: number }).processID);
    signal.addEventListener('abort', cancel, { once: true });
    try {
      return (await client.query(toPg(sql), params as unknown[])).rows as T[];
    } finally {
      signal.removeEventListener('abort', cancel);
      client.release();
    }
  }

  /** Cancels a running statement from a connection of its own (the pool may be full). */
  private async cancelBackend(pid: number): Promise<void> {
    const side = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: PG_LIMITS.connectTimeoutMs });
    side.on('error', () => undefined);
    try {
      await side.connect();
      await side.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch {
      // The statement ends at the statement timeout anyway.
    } finally {
      await side.end().catch(() => undefined);
    }
  }
  async get<T>(sql: string, params?: Param[]): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  async run(sql: string, params?: Param[]): Promise<number> {
    return (await this.pool.query(toPg(sql), params as unknown[])).rowCount ?? 0;
  }
  runMany(sql: string, rows: Param[][]): Promise<void> {
    return this.tx((db) => db.runMany(sql, rows));
  }
  async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgClientView(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
  async lock(): Promise<void> {
    throw new Error('Db.lock() must be called inside tx()');
  }
  async close(): Promise<void> {
    await this.pool.end();
  }
}
