/**
 * A small async SQL adapter over SQLite (better-sqlite3) and PostgreSQL (pg).
 *
 * Services write portable SQL with `?` placeholders; the PostgreSQL adapter rewrites them to
 * `$n`. Every write goes through `tx()`, which serialises writers on SQLite (one writer, as
 * WAL requires) and uses a pooled client transaction on PostgreSQL.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import fs from 'node:fs';
import path from 'node:path';

export type Dialect = 'sqlite' | 'postgres';
export type Row = Record<string, any>;
export type Param = string | number | bigint | null | boolean | Buffer;

export interface Db {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: Param[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: Param[]): Promise<T | undefined>;
  run(sql: string, params?: Param[]): Promise<number>;
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

/** Serialises async critical sections: SQLite allows one writer at a time. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  lock<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }
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
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return fn(this); // already inside a transaction
  }
  async lock(): Promise<void> {}
  async close(): Promise<void> {}
}

const OPTIMIZE_EVERY_COMMITS = 5000;

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private writer: SqliteConnection;
  private reader: SqliteConnection;
  private writeLock = new Mutex();
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
  private maybeOptimize(): void {
    if (++this.commitsSinceOptimize < OPTIMIZE_EVERY_COMMITS) return;
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
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.writeLock.lock(async () => {
      const raw = this.writer.raw;
      raw.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await fn(new SqliteTxView(this.writer));
        raw.prepare('COMMIT').run();
        this.maybeOptimize();
        return result;
      } catch (err) {
        if (raw.inTransaction) raw.prepare('ROLLBACK').run();
        throw err;
      }
    });
  }
  async lock(): Promise<void> {}
  /** Runs DDL directly (migrations). */
  exec(sql: string): void {
    this.writer.raw.exec(sql);
  }
  async close(): Promise<void> {
    await this.writeLock.lock(async () => undefined);
    this.reader.raw.close();
    this.writer.raw.close();
  }
}

// PostgreSQL returns BIGINT (int8) and NUMERIC as strings by default; our ids and times fit
// in a double, so parse them as numbers.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

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
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }
  async lock(key: string): Promise<void> {
    await this.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
  }
  async close(): Promise<void> {}
}

export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle client losing its connection must not crash the server.
    this.pool.on('error', () => undefined);
  }
  async all<T>(sql: string, params?: Param[]): Promise<T[]> {
    return (await this.pool.query(toPg(sql), params as unknown[])).rows as T[];
  }
  async get<T>(sql: string, params?: Param[]): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  async run(sql: string, params?: Param[]): Promise<number> {
    return (await this.pool.query(toPg(sql), params as unknown[])).rowCount ?? 0;
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
