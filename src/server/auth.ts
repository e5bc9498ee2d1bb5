/**
 * Workspace authentication. With a token configured the server accepts
 * `Authorization: Bearer <token>` (MLFLOW_TRACKING_TOKEN); with a username and password it
 * accepts HTTP Basic (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD); Jupyter clients'
 * `Authorization: token <token>` is the same as Bearer. Comparisons are
 * constant-time.
 */
import { sameSecret as same } from '../util/secrets.ts';
import type { OidcSettings } from '../access/oidc.ts';

export interface AuthConfig {
  token?: string;
  username?: string;
  password?: string;
  /** User accounts (and personal access tokens) without a shared token: STRATUS_AUTH=users. */
  accounts?: boolean;
  /** Single sign-on (STRATUS_OIDC_*): accounts, signed in by an OpenID Connect provider. */
  oidc?: OidcSettings;
}

export function authEnabled(auth: AuthConfig | undefined): boolean {
  return !!(auth && (auth.accounts || auth.oidc || auth.token || (auth.username && auth.password)));
}

export function isAuthorized(auth: AuthConfig, header: string | undefined): boolean {
  if (!header) return false;
  const [scheme, value = ''] = header.split(/\s+/, 2);
  // `token` is how Jupyter clients spell Bearer.
  if (/^(bearer|token)$/i.test(scheme) && auth.token) return same(value, auth.token);
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const pass = decoded.slice(colon + 1);
    if (auth.username && auth.password && same(user, auth.username) && same(pass, auth.password)) return true;
    // A token also works as the Basic password, for clients that only speak Basic.
    if (auth.token && same(pass, auth.token)) return true;
  }
  return false;
}
