/**
 * Who is asking: a request's credentials resolved to a principal with its roles. Accepted:
 * `Authorization: Bearer|token <secret>` with a personal access token, the workspace token
 * (STRATUS_AUTH_TOKEN, an Owner) or the jobs' token; HTTP Basic with a user's password (or a token
 * as the password, for clients that only speak Basic) or the configured username/password; a
 * studio session. Password checks are rate-limited per user and per address, and a wrong
 * password answers exactly as an unknown user does. Resolved credentials are cached for a few
 * seconds — any change to users, roles or tokens empties the cache, so a revoked token is
 * refused at once.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { StratusError } from '../util/errors.ts';
import { sameSecret } from '../util/secrets.ts';
import type { Accounts } from './accounts.ts';
import type { RoleName } from './roles.ts';
import type { Tokens } from './tokens.ts';

export interface Principal {
  name: string;
  roles: RoleName[];
  /** Owners and MLflow admins: MLflow's per-resource permissions do not apply to them. */
  admin: boolean;
  via: 'open' | 'workspace-token' | 'jobs' | 'password' | 'token' | 'session';
  tokenId?: string;
  /** When the token it came from expires (the cache never outlives it). */
  expiresAt?: number;
  session?: { id: string; csrf: string };
}

export interface LegacyAuth { token?: string; username?: string; password?: string }

/** Who everyone is on a server without authentication (a developer's own machine). */
export const OPEN_PRINCIPAL: Principal = { name: process.env.USER || os.userInfo().username || 'local', roles: ['Owner'], admin: true, via: 'open' };

const CACHE_MS = 10_000;
/** Failed sign-ins allowed per user (from one address) and per address (any user) in the window. */
const FAILURES_PER_USER = 10;
const FAILURES_PER_ADDRESS = 100;
const FAILURE_WINDOW_MS = 5 * 60_000;

export class Authenticator {
  private cache = new Map<string, { principal: Principal; until: number }>();
  private failures = new Map<string, number[]>();

  constructor(private accounts: Accounts, private tokens: Tokens, private legacy: LegacyAuth, private jobsSecret: string) {
    accounts.onChange(() => this.cache.clear());
  }

  /** Forget cached credentials (a token was revoked, a password changed). */
  forget(): void { this.cache.clear(); }

  async fromHeader(header: string, ip?: string): Promise<Principal | undefined> {
    const key = crypto.createHash('sha256').update(header).digest('hex');
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.principal;
    const principal = await this.resolve(header, ip);
    if (principal) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, { principal, until: Math.min(Date.now() + CACHE_MS, principal.expiresAt ?? Infinity) });
    }
    return principal;
  }

  private async resolve(header: string, ip?: string): Promise<Principal | undefined> {
    const [scheme, value = ''] = header.trim().split(/\s+/, 2);
    if (/^(bearer|token)$/i.test(scheme)) return this.fromSecret(value);
    if (!/^basic$/i.test(scheme)) return undefined;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const user = decoded.slice(0, colon);
    const pass = decoded.slice(colon + 1);
    if (this.legacy.username && this.legacy.password && sameSecret(user, this.legacy.username) && sameSecret(pass, this.legacy.password)) {
      return { name: this.legacy.username, roles: ['Owner'], admin: true, via: 'workspace-token' };
    }
    // A token as the password, for clients that only speak Basic.
    const viaToken = await this.fromSecret(pass);
    if (viaToken) return viaToken;
    return this.signIn(user, pass, ip);
  }

  private async fromSecret(secret: string): Promise<Principal | undefined> {
    if (!secret) return undefined;
    if (this.legacy.token && sameSecret(secret, this.legacy.token)) return { name: 'workspace-token', roles: ['Owner'], admin: true, via: 'workspace-token' };
    if (sameSecret(secret, this.jobsSecret)) return { name: 'stratus-jobs', roles: ['Contributor'], admin: true, via: 'jobs' };
    const t = await this.tokens.verify(secret);
    if (!t) return undefined;
    void this.tokens.touch(t.id).catch(() => undefined);
    return { ...(await this.principalOf(t.username)), via: 'token', tokenId: t.id, expiresAt: t.expiresAt };
  }

  private async principalOf(username: string): Promise<Omit<Principal, 'via'>> {
    const { roles, admin } = await this.accounts.effectiveRoles(username);
    return { name: username, roles, admin };
  }

  /** A user's password checked, rate-limited; the same answer for a wrong password and an unknown user. */
  async signIn(username: string, password: string, ip?: string): Promise<Principal | undefined> {
    // Per user at an address (a guesser), and per address (one guessing many users); never per user alone, or anyone could lock anyone out.
    const keys: [string, number][] = [[`u:${username}@${ip ?? ''}`, FAILURES_PER_USER], ...(ip ? [[`a:${ip}`, FAILURES_PER_ADDRESS] as [string, number]] : [])];
    const now = Date.now();
    for (const [k, allowed] of keys) {
      const recent = (this.failures.get(k) ?? []).filter((t) => t > now - FAILURE_WINDOW_MS);
      this.failures.set(k, recent);
      if (recent.length >= allowed) {
        const wait = Math.ceil((recent[0] + FAILURE_WINDOW_MS - now) / 1000);
        throw new StratusError('RESOURCE_EXHAUSTED', `Too many failed sign-ins: try again in ${wait} s.`);
      }
    }
    const row = await this.accounts.checkPassword(username, password);
    if (!row) {
      for (const [k] of keys) this.failures.get(k)!.push(now);
      if (this.failures.size > 100_000) this.failures.clear();
      return undefined;
    }
    this.failures.delete(keys[0][0]);
    return { ...(await this.principalOf(username)), via: 'password' };
  }

  async fromSession(sessionId: string): Promise<Principal | undefined> {
    const s = await this.tokens.session(sessionId);
    if (!s || !(await this.accounts.exists(s.username))) return undefined;
    return { ...(await this.principalOf(s.username)), via: 'session', session: { id: sessionId, csrf: s.csrf } };
  }
}
