/**
 * Single sign-on with OpenID Connect, through openid-client: the studio signs in with the
 * authorization code flow (PKCE, state and nonce, each used once and for ten minutes at most);
 * the CLI runs the device flow against the provider itself and exchanges the ID token it gets for
 * a personal access token (the ID token's signature checked against the provider's keys, its
 * issuer, audience and expiry with jose). A signed-in identity becomes a local user without a
 * password; the groups claim, mapped to roles, sets the user's roles at each sign-in.
 */
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { invalid, StratusError } from '../util/errors.ts';
import type { Accounts } from './accounts.ts';
import { isRoleName, type RoleName } from './roles.ts';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** The public client the CLI's device flow uses (default: clientId). */
  cliClientId?: string;
  scopes: string;
  groupsClaim: string;
  /** Group → role. */
  roles: Record<string, RoleName>;
}

/** STRATUS_OIDC_* settings, or undefined when single sign-on is not configured. */
export function oidcSettingsFrom(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  if (!env.STRATUS_OIDC_ISSUER) return undefined;
  if (!env.STRATUS_OIDC_CLIENT_ID) throw new Error('STRATUS_OIDC_ISSUER is set but STRATUS_OIDC_CLIENT_ID is not: give the client id the provider registered for Stratus.');
  const roles: Record<string, RoleName> = {};
  for (const pair of (env.STRATUS_OIDC_ROLES ?? '').split(/[;,]/).map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.lastIndexOf('=');
    const role = pair.slice(eq + 1).trim();
    if (eq <= 0 || !isRoleName(role)) throw new Error(`STRATUS_OIDC_ROLES: '${pair}' is not <group>=<role> with one of Azure ML's roles (Owner, Contributor, Reader, AzureML Data Scientist, AzureML Compute Operator).`);
    roles[pair.slice(0, eq).trim()] = role;
  }
  return {
    issuer: env.STRATUS_OIDC_ISSUER, clientId: env.STRATUS_OIDC_CLIENT_ID, clientSecret: env.STRATUS_OIDC_CLIENT_SECRET || undefined,
    cliClientId: env.STRATUS_OIDC_CLI_CLIENT_ID || undefined, scopes: env.STRATUS_OIDC_SCOPES || 'openid profile email',
    groupsClaim: env.STRATUS_OIDC_GROUPS_CLAIM || 'groups', roles,
  };
}

/** Plain http is allowed for a provider on this machine only (a test or a local identity server). */
export const insecureAllowed = (issuer: string) => /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(issuer);

interface Pending { verifier: string; nonce: string; next: string; expires: number }
const PENDING_MS = 10 * 60_000;

export class OidcLogin {
  private config?: Promise<oidc.Configuration>;
  private pending = new Map<string, Pending>();

  constructor(readonly settings: OidcSettings, private accounts: Accounts) {}

  private configuration(): Promise<oidc.Configuration> {
    this.config ??= oidc.discovery(new URL(this.settings.issuer), this.settings.clientId, this.settings.clientSecret, undefined,
      insecureAllowed(this.settings.issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined)
      .catch((err: Error) => {
        this.config = undefined;
        throw new StratusError('TEMPORARILY_UNAVAILABLE', `The identity provider ${this.settings.issuer} cannot be reached: ${err.message}`);
      });
    return this.config;
  }

  /** The provider's authorization URL for a studio sign-in; `next` is where to land afterwards. */
  async start(redirectUri: string, next: string): Promise<string> {
    const config = await this.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const now = Date.now();
    for (const [k, p] of this.pending) if (p.expires < now) this.pending.delete(k);
    if (this.pending.size > 10_000) throw new StratusError('RESOURCE_EXHAUSTED', 'Too many sign-ins in progress: try again in a few minutes.');
    this.pending.set(state, { verifier, nonce, next, expires: now + PENDING_MS });
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: this.settings.scopes, state, nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).href;
  }

  /** The provider's answer at the callback: the user it signed in, and where they were going. */
  async finish(callbackUrl: URL): Promise<{ username: string; next: string }> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    const pending = this.pending.get(state);
    this.pending.delete(state);
    if (!pending || pending.expires < Date.now()) throw new StratusError('UNAUTHENTICATED', 'This sign-in is unknown or has expired: start again from the sign-in page.');
    const error = callbackUrl.searchParams.get('error');
    if (error) throw new StratusError('UNAUTHENTICATED', `The identity provider refused the sign-in: ${error} ${callbackUrl.searchParams.get('error_description') ?? ''}`.trim());
    const tokens = await oidc.authorizationCodeGrant(await this.configuration(), callbackUrl, { pkceCodeVerifier: pending.verifier, expectedState: state, expectedNonce: pending.nonce })
      .catch((err: Error) => { throw new StratusError('UNAUTHENTICATED', `The sign-in could not be completed: ${err.message}`); });
    const claims = tokens.claims();
    if (!claims) throw new StratusError('UNAUTHENTICATED', 'The identity provider returned no ID token.');
    return { username: await this.adopt(claims as JWTPayload), next: pending.next };
  }

  /** An ID token the CLI got from the provider (device flow), checked; the user it names. */
  async exchange(idToken: string): Promise<string> {
    const config = await this.configuration();
    const meta = config.serverMetadata();
    if (!meta.jwks_uri) throw new StratusError('TEMPORARILY_UNAVAILABLE', 'The identity provider publishes no signing keys (jwks_uri).');
    const audience = [this.settings.clientId, ...(this.settings.cliClientId ? [this.settings.cliClientId] : [])];
    const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(meta.jwks_uri)), { issuer: meta.issuer, audience })
      .catch((err: Error) => { throw new StratusError('UNAUTHENTICATED', `The ID token was not accepted: ${err.message}`); });
    return this.adopt(payload);
  }

  /** The local user for an identity: made on first sign-in; roles from the groups claim when any group maps to one. */
  private async adopt(claims: JWTPayload): Promise<string> {
    const raw = [claims.preferred_username, claims.email, claims.sub].find((v) => typeof v === 'string' && v) as string | undefined;
    if (!raw) throw invalid('The ID token names no user (preferred_username, email or sub).');
    const username = raw.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 64);
    const claim = claims[this.settings.groupsClaim];
    const groups = Array.isArray(claim) ? claim.map(String) : typeof claim === 'string' ? [claim] : [];
    const roles = [...new Set(groups.map((g) => this.settings.roles[g]).filter((r): r is RoleName => !!r))];
    await this.accounts.adoptExternal(username, roles, typeof claims.name === 'string' ? claims.name : undefined);
    return username;
  }
}
