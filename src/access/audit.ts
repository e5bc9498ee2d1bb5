/**
 * The audit log: every write and every denied request — who, when, what, from where, outcome.
 * Entries are queued and written in batches (every half second, or at 1000), so a hot write route
 * such as log-metric pays a push, not an insert; a read of the log writes the queue first, and
 * closing the workspace flushes it. Secrets never reach it: only the route, its target and status.
 */
import type { Db } from '../store/db.ts';
import { invalid } from '../util/errors.ts';

export interface AuditEntry {
  at: number;
  username?: string;
  /** The action the route needs (`jobs/write`), or `auth/sign-in`… */
  action: string;
  method: string;
  /** The route as registered (`/api/v1/jobs/:name/cancel`), never the raw URL with its query. */
  route: string;
  /** What the request named: its route parameters (`name=job-1`). */
  target?: string;
  status: number;
  outcome: 'allowed' | 'denied' | 'failed';
  ip?: string;
  detail?: string;
}

interface AuditRow { seq: number; at: number; username: string | null; action: string; method: string; route: string; target: string | null; status: number; outcome: string; ip: string | null; detail: string | null }

const BATCH = 1000;
/** 11 parameters a row: 80 rows stay well under SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_INSERT = 80;
const EVERY_MS = 500;

export class AuditLog {
  private queue: AuditEntry[] = [];
  private seq?: number;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private db: Db) {}

  record(entry: AuditEntry): void {
    this.queue.push(entry);
    if (this.queue.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), EVERY_MS);
  }

  /** Writes what is queued (one transaction); entries stay queued if the store refuses. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(async () => {
      const batch = this.queue.splice(0);
      if (!batch.length) return;
      try {
        await this.db.tx(async (t) => {
          this.seq ??= Number((await t.get<{ m: number }>('SELECT max(seq) AS m FROM audit_log'))?.m ?? 0);
          // Many rows per statement: a busy second of log-metric calls is a few inserts, not thousands.
          for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
            const rows = batch.slice(i, i + ROWS_PER_INSERT);
            const values = rows.flatMap((e) => [++this.seq!, e.at, e.username ?? null, e.action, e.method, e.route, e.target ?? null, e.status, e.outcome, e.ip ?? null, e.detail ?? null]);
            await t.run(`INSERT INTO audit_log (seq, at, username, action, method, route, target, status, outcome, ip, detail) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, values);
          }
        });
      } catch {
        this.seq = undefined;
        this.queue.unshift(...batch);
      }
    });
    return this.flushing;
  }

  /** Newest first; `since` an ISO time or a duration (`1h`, `7d`); at most `limit` (≤ 1000) rows. */
  async list(opts: { since?: string; user?: string; action?: string; outcome?: string; limit?: number }) {
    await this.flush();
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (opts.since) {
      where.push('at >= ?');
      params.push(sinceMs(opts.since));
    }
    if (opts.user) { where.push('username = ?'); params.push(opts.user); }
    if (opts.action) { where.push('action LIKE ?'); params.push(`${opts.action.replace(/[%_]/g, '')}%`); }
    if (opts.outcome) { where.push('outcome = ?'); params.push(opts.outcome); }
    const limit = Math.min(Math.max(1, opts.limit ?? 100), 1000);
    const rows = await this.db.all<AuditRow>(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${limit}`, params);
    return rows.map((r) => ({
      time: new Date(Number(r.at)).toISOString(), user: r.username ?? undefined, action: r.action, method: r.method, route: r.route,
      target: r.target ?? undefined, status: Number(r.status), outcome: r.outcome, ip: r.ip ?? undefined, detail: r.detail ?? undefined,
    }));
  }

  async close(): Promise<void> {
    await this.flush();
  }
}

function sinceMs(since: string): number {
  const m = /^(\d+)\s*([smhd])$/.exec(since.trim());
  if (m) return Date.now() - Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(since);
  if (Number.isNaN(t)) throw invalid(`--since '${since}' is neither a time (2026-12-01T10:00:00Z) nor a duration (30m, 12h, 7d).`);
  return t;
}
