/**
 * Personal access tokens and studio sessions. A token is `stp_<id>_<secret>`: the id finds its
 * row, the secret is kept only as a SHA-256 (it is 32 random bytes, so a slow hash adds nothing)
 * and compared in constant time. Shown once, listed without the secret, revoked at once.
 */
import crypto from 'node:crypto';
import type { Db } from '../store/db.ts';
import { invalid, notFound } from '../util/errors.ts';
import { sameSecret } from '../util/secrets.ts';

interface TokenRow { id: string; username: string; name: string; secret_hash: string; created_at: number; expires_at: number | null; revoked_at: number | null; last_used_at: number | null }

export interface TokenInfo { id: string; name: string; username: string; created_at: string; expires_at?: string; revoked_at?: string; last_used_at?: string; state: 'active' | 'expired' | 'revoked' }

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const iso = (ms: number | null) => (ms ? new Date(Number(ms)).toISOString() : undefined);
export const TOKEN_PREFIX = 'stp_';
/** The longest a token may live (Databricks allows none longer by default either): a year. */
const MAX_DAYS = 366;
export const SESSION_HOURS = 12;

function info(r: TokenRow, now = Date.now()): TokenInfo {
  const state = r.revoked_at ? 'revoked' : r.expires_at && Number(r.expires_at) <= now ? 'expired' : 'active';
  return { id: r.id, name: r.name, username: r.username, created_at: iso(r.created_at)!, expires_at: iso(r.expires_at), revoked_at: iso(r.revoked_at), last_used_at: iso(r.last_used_at), state };
}

export class Tokens {
  constructor(private db: Db) {}

  async create(username: string, name: string, lifetimeDays?: number): Promise<TokenInfo & { token: string }> {
    if (!name || name.length > 100) throw invalid('A token needs a name of 1-100 characters (what it is for).');
    const days = lifetimeDays ?? 90;
    if (!(days > 0 && days <= MAX_DAYS)) throw invalid(`A token's lifetime is 1-${MAX_DAYS} days; got ${lifetimeDays}.`);
    const id = crypto.randomBytes(8).toString('hex');
    const secret = crypto.randomBytes(32).toString('base64url');
    const now = Date.now();
    await this.db.run('INSERT INTO access_tokens (id, username, name, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      [id, username, name, sha256(secret), now, now + Math.round(days * 86_400_000)]);
    return { ...info((await this.row(id))!), token: `${TOKEN_PREFIX}${id}_${secret}` };
  }

  private row(id: string) {
    return this.db.get<TokenRow>('SELECT * FROM access_tokens WHERE id = ?', [id]);
  }

  /** The user a token belongs to, if it is one of ours, unexpired and unrevoked. */
  async verify(token: string): Promise<{ username: string; id: string; expiresAt?: number } | undefined> {
    const m = /^stp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return undefined;
    const row = await this.row(m[1]);
    if (!row || !sameSecret(sha256(m[2]), row.secret_hash) || row.revoked_at) return undefined;
    if (row.expires_at && Number(row.expires_at) <= Date.now()) return undefined;
    return { username: row.username, id: row.id, expiresAt: row.expires_at ? Number(row.expires_at) : undefined };
  }

  /** Marks a token used (at most once a minute per token, so the hot path does not write on every request). */
  async touch(id: string): Promise<void> {
    const now = Date.now();
    await this.db.run('UPDATE access_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [now, id, now - 60_000]);
  }

  async list(username?: string): Promise<TokenInfo[]> {
    const rows = username
      ? await this.db.all<TokenRow>('SELECT * FROM access_tokens WHERE username = ? ORDER BY created_at DESC', [username])
      : await this.db.all<TokenRow>('SELECT * FROM access_tokens ORDER BY created_at DESC');
    return rows.map((r) => info(r));
  }

  /** Revokes a token; `owner` limits it to that user's own tokens. */
  async revoke(id: string, owner?: string): Promise<TokenInfo> {
    const row = await this.row(id);
    if (!row || (owner !== undefined && row.username !== owner)) throw notFound(`Token '${id}' does not exist${owner ? ` among ${owner}'s tokens` : ''}.`);
    if (!row.revoked_at) await this.db.run('UPDATE access_tokens SET revoked_at = ? WHERE id = ?', [Date.now(), id]);
    return info((await this.row(id))!);
  }

  /** Revokes every active token with this name (a job's, when the job ends). */
  async revokeNamed(username: string, name: string): Promise<number> {
    return this.db.run('UPDATE access_tokens SET revoked_at = ? WHERE username = ? AND name = ? AND revoked_at IS NULL', [Date.now(), username, name]);
  }

  // ---- studio sessions ----

  async openSession(username: string): Promise<{ id: string; csrf: string; expiresAt: number }> {
    const id = crypto.randomBytes(32).toString('base64url');
    const csrf = crypto.randomBytes(24).toString('base64url');
    const expiresAt = Date.now() + SESSION_HOURS * 3_600_000;
    await this.db.run('INSERT INTO sessions (id_hash, username, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [sha256(id), username, csrf, Date.now(), expiresAt]);
    return { id, csrf, expiresAt };
  }

  async session(id: string): Promise<{ username: string; csrf: string; expiresAt: number } | undefined> {
    const row = await this.db.get<{ username: string; csrf: string; expires_at: number }>('SELECT * FROM sessions WHERE id_hash = ?', [sha256(id)]);
    if (!row || Number(row.expires_at) <= Date.now()) return undefined;
    return { username: row.username, csrf: row.csrf, expiresAt: Number(row.expires_at) };
  }

  async closeSession(id: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE id_hash = ? OR expires_at < ?', [sha256(id), Date.now()]);
  }
}
