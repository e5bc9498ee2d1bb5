/** The access-control services of a workspace, over its store. */
import type { Db } from '../store/db.ts';
import { Accounts } from './accounts.ts';
import { AuditLog } from './audit.ts';
import { checkPermission, MlflowPermissions, type PermissionName } from './mlflow-permissions.ts';
import { generatePassword } from './passwords.ts';
import { Tokens } from './tokens.ts';

export class Access {
  readonly accounts: Accounts;
  readonly tokens: Tokens;
  readonly audit: AuditLog;
  readonly permissions: MlflowPermissions;

  constructor(db: Db, defaultPermission: PermissionName) {
    this.accounts = new Accounts(db);
    this.tokens = new Tokens(db);
    this.audit = new AuditLog(db);
    this.permissions = new MlflowPermissions(db, defaultPermission);
    this.accounts.onChange(() => this.permissions.forget());
  }

  /** Revokes a token (`owner`: only among that user's) and forgets cached credentials, so it is refused at once. */
  async revokeToken(id: string, owner?: string) {
    const revoked = await this.tokens.revoke(id, owner);
    for (const fn of this.revocationListeners) fn();
    return revoked;
  }

  /**
   * A job's own credentials: a token of the user who submitted it (so its code may do what they
   * may, no more), revoked when the job ends. None for a job no user submitted.
   */
  async issueJobToken(job: { name: string; created_by: string | null }): Promise<string | undefined> {
    return job.created_by ? this.issueWorkToken(job.created_by, `job ${job.name}`) : undefined;
  }

  async releaseJobToken(job: { name: string; created_by: string | null }): Promise<void> {
    if (job.created_by) await this.releaseWorkToken(job.created_by, `job ${job.name}`);
  }

  /** A personal compute's kernels run with its user's own token while it runs. */
  issueComputeToken(compute: string, user: string): Promise<string | undefined> {
    return this.issueWorkToken(user, `compute instance ${compute}`);
  }

  releaseComputeToken(compute: string, user: string): Promise<void> {
    return this.releaseWorkToken(user, `compute instance ${compute}`);
  }

  /** A token a user's work (a job, a compute) runs with: any earlier one of the same name is revoked first. */
  private async issueWorkToken(user: string, name: string): Promise<string | undefined> {
    if (!(await this.accounts.exists(user))) return undefined;
    await this.releaseWorkToken(user, name);
    return String((await this.tokens.create(user, name.slice(0, 100), 30)).token);
  }

  private async releaseWorkToken(user: string, name: string): Promise<void> {
    if (await this.tokens.revokeNamed(user, name.slice(0, 100))) for (const fn of this.revocationListeners) fn();
  }

  private revocationListeners: (() => void)[] = [];
  onRevoke(fn: () => void): void { this.revocationListeners.push(fn); }

  /**
   * The first admin, made when a server with authentication starts with no users: named by
   * STRATUS_ADMIN_USERNAME (else `admin`), with STRATUS_ADMIN_PASSWORD or a generated password
   * that the caller prints once. Undefined when users exist.
   */
  async ensureInitialAdmin(env: NodeJS.ProcessEnv): Promise<{ username: string; password?: string } | undefined> {
    if ((await this.accounts.count()) > 0) return undefined;
    const username = env.STRATUS_ADMIN_USERNAME || 'admin';
    const given = env.STRATUS_ADMIN_PASSWORD;
    const password = given || generatePassword();
    await this.accounts.create({ username, password, is_admin: true, roles: ['Owner'] }, 'stratus up');
    return { username, password: given ? undefined : password };
  }
}


/** STRATUS_MLFLOW_DEFAULT_PERMISSION, else EDIT (workspace roles already keep Readers read-only). */
export function defaultPermissionFrom(env: NodeJS.ProcessEnv): PermissionName {
  return checkPermission(env.STRATUS_MLFLOW_DEFAULT_PERMISSION || 'EDIT');
}
