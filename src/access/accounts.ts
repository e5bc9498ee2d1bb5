/**
 * Local accounts: users (scrypt-hashed passwords), groups, and workspace role assignments to
 * users or groups. An admin (MLflow's is_admin) is an Owner. The last Owner cannot be removed,
 * demoted or deleted: a workspace always has someone who can manage it.
 */
import type { Db } from '../store/db.ts';
import { alreadyExists, invalid, notFound } from '../util/errors.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { isRoleName, ROLE_NAMES, type RoleName } from './roles.ts';

interface UserRow { id: number; username: string; password_hash: string | null; display_name: string | null; is_admin: number; created_at: number; created_by: string | null }

export interface User { id: number; username: string; display_name?: string; is_admin: boolean; roles: RoleName[]; groups: string[]; created_at: string; created_by?: string }

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

/** Called when anything that decides a principal's rights changes (the authenticator's cache listens). */
export type OnChange = () => void;

export class Accounts {
  private listeners: OnChange[] = [];
  constructor(private db: Db) {}

  onChange(fn: OnChange): void { this.listeners.push(fn); }
  private changed(): void { for (const fn of this.listeners) fn(); }

  async count(): Promise<number> {
    return Number((await this.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))?.n ?? 0);
  }

  async create(input: { username: string; password: string; display_name?: string; is_admin?: boolean; roles?: string[] }, by?: string): Promise<User> {
    if (!USERNAME.test(input.username ?? '')) throw invalid(`User name '${input.username}' is not valid: 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.`);
    const problem = passwordProblem(input.password ?? '');
    if (problem) throw invalid(`Cannot create user '${input.username}': ${problem}.`);
    const roles = checkRoles(input.roles ?? []);
    const hash = await hashPassword(input.password);
    await this.db.tx(async (t) => {
      await t.lock('users');
      if (await t.get('SELECT 1 AS x FROM users WHERE username = ?', [input.username])) throw alreadyExists(`User '${input.username}' already exists.`);
      const id = Number((await t.get<{ m: number }>('SELECT max(id) AS m FROM users'))?.m ?? 0) + 1;
      await t.run('INSERT INTO users (id, username, password_hash, display_name, is_admin, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [id, input.username, hash, input.display_name ?? null, input.is_admin ? 1 : 0, Date.now(), by ?? null]);
      for (const role of roles) await t.run('INSERT INTO role_assignments (principal_type, principal, role, created_at) VALUES (?, ?, ?, ?)', ['user', input.username, role, Date.now()]);
    });
    this.changed();
    return this.show(input.username);
  }

  /**
   * A user signed in by the identity provider: made (without a password) on first sign-in. When
   * its groups map to roles, those are its roles from now on; when none does, roles an Owner gave
   * it stay.
   */
  async adoptExternal(username: string, roles: RoleName[], displayName?: string): Promise<void> {
    await this.db.tx(async (t) => {
      await t.lock('users');
      if (!(await t.get('SELECT 1 AS x FROM users WHERE username = ?', [username]))) {
        const id = Number((await t.get<{ m: number }>('SELECT max(id) AS m FROM users'))?.m ?? 0) + 1;
        await t.run('INSERT INTO users (id, username, password_hash, display_name, is_admin, created_at, created_by) VALUES (?, ?, NULL, ?, 0, ?, ?)',
          [id, username, displayName ?? null, Date.now(), 'single sign-on']);
      }
      if (roles.length) {
        const current = (await t.all<{ role: RoleName }>("SELECT role FROM role_assignments WHERE principal_type = 'user' AND principal = ?", [username])).map((r) => r.role);
        if (current.includes('Owner') && !roles.includes('Owner')) await this.keepAnOwner(t, { unassign: { principalType: 'user', principal: username } });
        await t.run("DELETE FROM role_assignments WHERE principal_type = 'user' AND principal = ?", [username]);
        for (const r of roles) await t.run('INSERT INTO role_assignments (principal_type, principal, role, created_at) VALUES (?, ?, ?, ?)', ['user', username, r, Date.now()]);
      }
    });
    this.changed();
  }

  private async row(username: string): Promise<UserRow> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE username = ?', [username]);
    if (!row) throw notFound(`User '${username}' does not exist.`);
    return row;
  }

  async exists(username: string): Promise<boolean> {
    return !!(await this.db.get('SELECT 1 AS x FROM users WHERE username = ?', [username]));
  }

  async show(username: string): Promise<User> {
    const row = await this.row(username);
    const groups = (await this.db.all<{ group_name: string }>('SELECT group_name FROM group_members WHERE username = ? ORDER BY group_name', [username])).map((g) => g.group_name);
    return {
      id: Number(row.id), username: row.username, display_name: row.display_name ?? undefined, is_admin: !!row.is_admin,
      roles: await this.directRoles('user', username), groups, created_at: new Date(Number(row.created_at)).toISOString(), created_by: row.created_by ?? undefined,
    };
  }

  async list(): Promise<User[]> {
    const rows = await this.db.all<{ username: string }>('SELECT username FROM users ORDER BY username');
    return Promise.all(rows.map((r) => this.show(r.username)));
  }

  /** The user, if the password is theirs; undefined alike for a wrong password and an unknown user. */
  async checkPassword(username: string, password: string): Promise<UserRow | undefined> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE username = ?', [username]);
    const ok = await verifyPassword(password, row?.password_hash);
    return ok ? row : undefined;
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.row(username);
    const problem = passwordProblem(password ?? '');
    if (problem) throw invalid(`Cannot set the password of '${username}': ${problem}.`);
    await this.db.run('UPDATE users SET password_hash = ? WHERE username = ?', [await hashPassword(password), username]);
    this.changed();
  }

  async update(username: string, changes: { display_name?: string; is_admin?: boolean }): Promise<User> {
    await this.row(username);
    await this.db.tx(async (t) => {
      await t.lock('users');
      if (changes.is_admin === false) await this.keepAnOwner(t, { demote: username });
      if (changes.is_admin !== undefined) await t.run('UPDATE users SET is_admin = ? WHERE username = ?', [changes.is_admin ? 1 : 0, username]);
      if (changes.display_name !== undefined) await t.run('UPDATE users SET display_name = ? WHERE username = ?', [changes.display_name, username]);
    });
    this.changed();
    return this.show(username);
  }

  async delete(username: string): Promise<void> {
    await this.row(username);
    await this.db.tx(async (t) => {
      await t.lock('users');
      await this.keepAnOwner(t, { remove: username });
      await t.run('DELETE FROM role_assignments WHERE principal_type = ? AND principal = ?', ['user', username]);
      await t.run('DELETE FROM group_members WHERE username = ?', [username]);
      await t.run('UPDATE access_tokens SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL', [Date.now(), username]);
      await t.run('DELETE FROM sessions WHERE username = ?', [username]);
      await t.run('DELETE FROM experiment_permissions WHERE username = ?', [username]);
      await t.run('DELETE FROM registered_model_permissions WHERE username = ?', [username]);
      await t.run('DELETE FROM users WHERE username = ?', [username]);
    });
    this.changed();
  }

  // ---- groups ----

  async createGroup(name: string, description?: string): Promise<{ name: string; description?: string; members: string[]; roles: RoleName[] }> {
    if (!GROUP.test(name ?? '')) throw invalid(`Group name '${name}' is not valid: 1-64 letters, digits, spaces, '.', '_' or '-'.`);
    await this.db.tx(async (t) => {
      if (await t.get('SELECT 1 AS x FROM user_groups WHERE name = ?', [name])) throw alreadyExists(`Group '${name}' already exists.`);
      await t.run('INSERT INTO user_groups (name, description, created_at) VALUES (?, ?, ?)', [name, description ?? null, Date.now()]);
    });
    return this.showGroup(name);
  }

  async showGroup(name: string) {
    const row = await this.db.get<{ name: string; description: string | null }>('SELECT * FROM user_groups WHERE name = ?', [name]);
    if (!row) throw notFound(`Group '${name}' does not exist.`);
    const members = (await this.db.all<{ username: string }>('SELECT username FROM group_members WHERE group_name = ? ORDER BY username', [name])).map((m) => m.username);
    return { name: row.name, description: row.description ?? undefined, members, roles: await this.directRoles('group', name) };
  }

  async listGroups() {
    const rows = await this.db.all<{ name: string }>('SELECT name FROM user_groups ORDER BY name');
    return Promise.all(rows.map((r) => this.showGroup(r.name)));
  }

  async addMember(group: string, username: string) {
    await this.showGroup(group);
    await this.row(username);
    await this.db.tx(async (t) => {
      if (!(await t.get('SELECT 1 AS x FROM group_members WHERE group_name = ? AND username = ?', [group, username]))) {
        await t.run('INSERT INTO group_members (group_name, username) VALUES (?, ?)', [group, username]);
      }
    });
    this.changed();
    return this.showGroup(group);
  }

  async removeMember(group: string, username: string) {
    await this.showGroup(group);
    await this.db.tx(async (t) => {
      await t.lock('users');
      await this.keepAnOwner(t, { leave: { group, username } });
      await t.run('DELETE FROM group_members WHERE group_name = ? AND username = ?', [group, username]);
    });
    this.changed();
    return this.showGroup(group);
  }

  async deleteGroup(name: string): Promise<void> {
    await this.showGroup(name);
    await this.db.tx(async (t) => {
      await t.lock('users');
      await this.keepAnOwner(t, { dropGroup: name });
      await t.run('DELETE FROM role_assignments WHERE principal_type = ? AND principal = ?', ['group', name]);
      await t.run('DELETE FROM group_members WHERE group_name = ?', [name]);
      await t.run('DELETE FROM user_groups WHERE name = ?', [name]);
    });
    this.changed();
  }

  // ---- role assignments ----

  async assign(principalType: 'user' | 'group', principal: string, role: string) {
    const [r] = checkRoles([role]);
    if (principalType === 'user') await this.row(principal);
    else await this.showGroup(principal);
    await this.db.tx(async (t) => {
      if (!(await t.get('SELECT 1 AS x FROM role_assignments WHERE principal_type = ? AND principal = ? AND role = ?', [principalType, principal, r]))) {
        await t.run('INSERT INTO role_assignments (principal_type, principal, role, created_at) VALUES (?, ?, ?, ?)', [principalType, principal, r, Date.now()]);
      }
    });
    this.changed();
    return { principal_type: principalType, principal, role: r };
  }

  async unassign(principalType: 'user' | 'group', principal: string, role: string): Promise<void> {
    const [r] = checkRoles([role]);
    await this.db.tx(async (t) => {
      await t.lock('users');
      if (!(await t.get('SELECT 1 AS x FROM role_assignments WHERE principal_type = ? AND principal = ? AND role = ?', [principalType, principal, r]))) {
        throw notFound(`${principalType === 'user' ? 'User' : 'Group'} '${principal}' has no role '${r}'.`);
      }
      if (r === 'Owner') await this.keepAnOwner(t, { unassign: { principalType, principal } });
      await t.run('DELETE FROM role_assignments WHERE principal_type = ? AND principal = ? AND role = ?', [principalType, principal, r]);
    });
    this.changed();
  }

  async listAssignments() {
    return (await this.db.all<{ principal_type: 'user' | 'group'; principal: string; role: RoleName }>('SELECT principal_type, principal, role FROM role_assignments ORDER BY principal_type, principal, role'));
  }

  private async directRoles(principalType: 'user' | 'group', principal: string): Promise<RoleName[]> {
    return (await this.db.all<{ role: RoleName }>('SELECT role FROM role_assignments WHERE principal_type = ? AND principal = ? ORDER BY role', [principalType, principal])).map((r) => r.role);
  }

  /** The roles in force for a user: their own, their groups', and Owner for an admin. */
  async effectiveRoles(username: string): Promise<{ roles: RoleName[]; admin: boolean }> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE username = ?', [username]);
    if (!row) return { roles: [], admin: false };
    const rows = await this.db.all<{ role: RoleName }>(
      `SELECT role FROM role_assignments WHERE (principal_type = 'user' AND principal = ?)
         OR (principal_type = 'group' AND principal IN (SELECT group_name FROM group_members WHERE username = ?))`, [username, username]);
    const roles = new Set(rows.map((r) => r.role));
    if (row.is_admin) roles.add('Owner');
    return { roles: ROLE_NAMES.filter((r) => roles.has(r)), admin: !!row.is_admin || roles.has('Owner') };
  }

  /** Refuses a change that would leave no user who is an Owner (by admin flag, own role or a group's). */
  private async keepAnOwner(t: Db, change: { remove?: string; demote?: string; leave?: { group: string; username: string }; dropGroup?: string; unassign?: { principalType: string; principal: string } }): Promise<void> {
    const users = await t.all<{ username: string; is_admin: number }>('SELECT username, is_admin FROM users');
    const assignments = await t.all<{ principal_type: string; principal: string; role: string }>("SELECT principal_type, principal, role FROM role_assignments WHERE role = 'Owner'");
    const members = await t.all<{ group_name: string; username: string }>('SELECT group_name, username FROM group_members');
    const owners = (skip: boolean) => users.filter((u) => {
      if (skip && u.username === change.remove) return false;
      if (u.is_admin && !(skip && u.username === change.demote)) return true;
      return assignments.some((a) => {
        if (skip && change.unassign && a.principal_type === change.unassign.principalType && a.principal === change.unassign.principal) return false;
        if (a.principal_type === 'user') return a.principal === u.username;
        if (skip && a.principal === change.dropGroup) return false;
        return members.some((m) => m.group_name === a.principal && m.username === u.username && !(skip && change.leave && m.group_name === change.leave.group && m.username === change.leave.username));
      });
    }).length;
    if (owners(false) > 0 && owners(true) === 0) {
      throw invalid('This would leave the workspace without an Owner: make another user an Owner (or admin) first.');
    }
  }
}

function checkRoles(roles: string[]): RoleName[] {
  for (const r of roles) if (!isRoleName(r)) throw invalid(`Unknown role '${r}': the roles are ${ROLE_NAMES.join(', ')}.`);
  return [...new Set(roles)] as RoleName[];
}
