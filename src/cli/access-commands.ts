/**
 * stratus login|logout, user …, group …, role …, token …, audit list — who may use the workspace
 * and what they did. Role assignments in az's words (`role assignment create --assignee --role`).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { StratusClient } from '../client/index.ts';
import { print, table } from './format.ts';
import { saveLogin, savedLogin } from './credentials.ts';
import { fail, outputOption, queryOption, withClient, workspaceUrl } from './runner.ts';

/** A password from --password, else stdin (--password-stdin), never echoed or logged. */
function passwordFrom(opts: { password?: string; passwordStdin?: boolean }, what: string): string {
  if (opts.passwordStdin) return fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (typeof opts.password === 'string') return opts.password;
  return fail(`Give ${what}'s password with --password-stdin (piped) or --password.`);
}

const userRow = (u: Record<string, any>) => ({ username: u.username, admin: u.is_admin ? 'yes' : '', roles: (u.roles ?? []).join(', '), groups: (u.groups ?? []).join(', ') });
const tokenRow = (t: Record<string, any>) => ({ id: t.id, name: t.name, user: t.username, state: t.state, expires: t.expires_at ?? '', last_used: t.last_used_at ?? '' });

/** The device flow at the workspace's provider (its public client), then the ID token exchanged for a token of this workspace. */
async function loginWithSso(url: string, lifetimeDays: number): Promise<void> {
  const answer = async (res: Response) => {
    const body = await res.json().catch(() => ({})) as Record<string, any>;
    if (!res.ok) fail(`${body.error_code ?? res.status}: ${body.message ?? res.statusText}`);
    return body;
  };
  const cfg = await answer(await fetch(`${url}/api/v1/auth/config`));
  if (!cfg.sso) fail(`${url} has no single sign-on configured: sign in with --username.`);
  const oidc = await import('openid-client');
  const { insecureAllowed } = await import('../access/oidc.ts');
  const config = await oidc.discovery(new URL(cfg.sso.issuer), cfg.sso.client_id, undefined, oidc.None(),
    insecureAllowed(cfg.sso.issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined);
  const device = await oidc.initiateDeviceAuthorization(config, { scope: cfg.sso.scopes });
  console.log(`To sign in, open ${device.verification_uri_complete ?? device.verification_uri} and confirm the code ${device.user_code}.`);
  const tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
  if (!tokens.id_token) fail('The identity provider returned no ID token: does its client allow the openid scope?');
  const t = await answer(await fetch(`${url}/api/v1/auth/oidc/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id_token: tokens.id_token, lifetime_days: lifetimeDays }) }));
  saveLogin(url, { token: t.token, token_id: t.id, username: t.username, expires_at: t.expires_at });
  console.log(`Signed in to ${url} as ${t.username} (token ${t.id}, until ${t.expires_at}).`);
}

export function registerAccessCommands(program: Command): void {
  program.command('login').description('Sign in (a user name and password, or --sso with the identity provider): a personal access token is made and saved for this workspace (STRATUS_URL)')
    .option('-u, --username <name>').option('--password <password>').option('--password-stdin', 'read the password from stdin')
    .option('--sso', 'sign in with the workspace\'s OpenID Connect provider (device flow: open the address shown, enter the code)')
    .option('--lifetime-days <days>', 'how long the saved token lives', '30')
    .action(async (opts) => {
      const url = workspaceUrl();
      if (opts.sso) return withClient(() => loginWithSso(url, Number(opts.lifetimeDays)));
      if (!opts.username) fail('Give --username (and --password-stdin), or --sso.');
      const password = passwordFrom(opts, opts.username);
      await withClient(async () => {
        const basic = new StratusClient({ baseUrl: url, basic: { username: opts.username, password } });
        const t = await basic.tokens.create(`stratus login (${new Date().toISOString().slice(0, 10)})`, Number(opts.lifetimeDays));
        saveLogin(url, { token: String(t.token), token_id: String(t.id), username: opts.username, expires_at: t.expires_at as string | undefined });
        console.log(`Signed in to ${url} as ${opts.username} (token ${t.id}, until ${t.expires_at}).`);
      });
    });
  program.command('logout').description('Revoke and forget the token `stratus login` saved for this workspace')
    .action(() => withClient(async (client) => {
      const url = workspaceUrl();
      const saved = savedLogin(url);
      if (!saved) fail(`Not signed in to ${url}.`);
      await client.tokens.revoke(saved.token_id).catch(() => undefined);
      saveLogin(url, undefined);
      console.log(`Signed out of ${url}.`);
    }));

  const user = program.command('user').description('User accounts (Owners manage them)');
  user.command('create').description('Create a user').requiredOption('-n, --name <name>').option('--password <password>').option('--password-stdin')
    .option('--display-name <text>').option('--admin', 'an admin: Owner, and MLflow admin').option('--role <role...>', 'workspace roles: Owner, Contributor, Reader, "AzureML Data Scientist", "AzureML Compute Operator"')
    .addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const u = await client.users.create({ username: opts.name, password: passwordFrom(opts, opts.name), display_name: opts.displayName, is_admin: !!opts.admin, roles: opts.role });
      print(u, opts.output, opts.query, () => table([userRow(u)], ['username', 'admin', 'roles', 'groups']));
    }));
  user.command('list').description('List users').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.users.list();
      print(value, opts.output, opts.query, () => table(value.map(userRow), ['username', 'admin', 'roles', 'groups']));
    }));
  user.command('show').description('Show a user').requiredOption('-n, --name <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const u = await client.users.show(opts.name);
      print(u, opts.output, opts.query, () => table([userRow(u)], ['username', 'admin', 'roles', 'groups']));
    }));
  user.command('update').description('Change a user\'s display name or admin flag').requiredOption('-n, --name <name>')
    .option('--display-name <text>').option('--admin <bool>', 'true or false').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      if (opts.admin !== undefined && !/^(true|false)$/.test(opts.admin)) fail(`--admin is true or false, not '${opts.admin}'.`);
      const u = await client.users.update(opts.name, { display_name: opts.displayName, ...(opts.admin !== undefined ? { is_admin: opts.admin === 'true' } : {}) });
      print(u, opts.output, opts.query, () => table([userRow(u)], ['username', 'admin', 'roles', 'groups']));
    }));
  user.command('set-password').description('Set a user\'s password').requiredOption('-n, --name <name>').option('--password <password>').option('--password-stdin')
    .action((opts) => withClient(async (client) => {
      await client.users.setPassword(opts.name, passwordFrom(opts, opts.name));
      console.log(`Password of ${opts.name} set.`);
    }));
  user.command('delete').description('Delete a user (their tokens revoked, sessions ended)').requiredOption('-n, --name <name>').option('-y, --yes')
    .action((opts) => withClient(async (client) => {
      await client.users.delete(opts.name);
      console.log(`Deleted user ${opts.name}.`);
    }));

  const group = program.command('group').description('Groups of users, which roles can be given to');
  group.command('create').description('Create a group').requiredOption('-n, --name <name>').option('--description <text>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const g = await client.groups.create({ name: opts.name, description: opts.description });
      print(g, opts.output, opts.query, () => table([{ name: g.name, members: '', roles: '' }], ['name', 'members', 'roles']));
    }));
  group.command('list').description('List groups').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.groups.list();
      print(value, opts.output, opts.query, () => table(value.map((g) => ({ name: g.name, members: g.members.join(', '), roles: g.roles.join(', ') })), ['name', 'members', 'roles']));
    }));
  group.command('show').description('Show a group').requiredOption('-n, --name <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const g = await client.groups.show(opts.name);
      print(g, opts.output, opts.query, () => table([{ name: g.name, members: g.members.join(', '), roles: g.roles.join(', ') }], ['name', 'members', 'roles']));
    }));
  group.command('delete').description('Delete a group').requiredOption('-n, --name <name>').option('-y, --yes')
    .action((opts) => withClient(async (client) => {
      await client.groups.delete(opts.name);
      console.log(`Deleted group ${opts.name}.`);
    }));
  const member = group.command('member').description('A group\'s members');
  member.command('add').description('Add a user to a group').requiredOption('-n, --name <group>').requiredOption('-u, --user <name>')
    .action((opts) => withClient(async (client) => {
      await client.groups.addMember(opts.name, opts.user);
      console.log(`${opts.user} is in ${opts.name}.`);
    }));
  member.command('remove').description('Remove a user from a group').requiredOption('-n, --name <group>').requiredOption('-u, --user <name>')
    .action((opts) => withClient(async (client) => {
      await client.groups.removeMember(opts.name, opts.user);
      console.log(`${opts.user} left ${opts.name}.`);
    }));

  const role = program.command('role').description('Workspace roles (Azure ML\'s built-in roles) and who has them');
  role.command('list').description('The roles and what each may do').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.roles.list();
      print(value, opts.output, opts.query, () => table(value.map((r) => ({ name: r.name, description: r.description })), ['name', 'description']));
    }));
  const assignment = role.command('assignment').description('Who has which role');
  const principalOf = (opts: { assignee?: string; assigneeGroup?: string }) => {
    if (!!opts.assignee === !!opts.assigneeGroup) fail('Name one principal: --assignee <user> or --assignee-group <group>.');
    return opts.assignee ? { principal_type: 'user' as const, principal: opts.assignee } : { principal_type: 'group' as const, principal: opts.assigneeGroup! };
  };
  assignment.command('create').description('Give a user or group a role').option('--assignee <user>').option('--assignee-group <group>').requiredOption('--role <role>')
    .addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const a = await client.roles.assign({ ...principalOf(opts), role: opts.role });
      print(a, opts.output, opts.query, () => table([a], ['principal_type', 'principal', 'role']));
    }));
  assignment.command('list').description('Every role assignment').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.roles.assignments();
      print(value, opts.output, opts.query, () => table(value, ['principal_type', 'principal', 'role']));
    }));
  assignment.command('delete').description('Take a role from a user or group').option('--assignee <user>').option('--assignee-group <group>').requiredOption('--role <role>').option('-y, --yes')
    .action((opts) => withClient(async (client) => {
      const p = principalOf(opts);
      await client.roles.unassign(p.principal_type, p.principal, opts.role);
      console.log(`${p.principal} no longer has ${opts.role}.`);
    }));

  const token = program.command('token').description('Your personal access tokens (Bearer tokens for the CLI, the MLflow client and the REST API)');
  token.command('create').description('Create a token: its secret is printed once').requiredOption('-n, --name <name>', 'what it is for')
    .option('--lifetime-days <days>', 'how long it lives (1-366)', '90').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const t = await client.tokens.create(opts.name, Number(opts.lifetimeDays));
      print(t, opts.output, opts.query, () => `${table([tokenRow(t)], ['id', 'name', 'user', 'state', 'expires'])}\ntoken (shown once): ${t.token}`);
    }));
  token.command('list').description('Your tokens (never their secrets); --user for another user\'s (Owners)').option('--user <name>').addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = opts.user ? await client.users.tokens(opts.user) : await client.tokens.list();
      print(value, opts.output, opts.query, () => table(value.map(tokenRow), ['id', 'name', 'user', 'state', 'expires', 'last_used']));
    }));
  token.command('revoke').description('Revoke a token: refused at once from then on').requiredOption('--id <id>').option('--user <name>', 'another user\'s token (Owners)')
    .action((opts) => withClient(async (client) => {
      if (opts.user) await client.users.revokeToken(opts.user, opts.id);
      else await client.tokens.revoke(opts.id);
      console.log(`Revoked token ${opts.id}.`);
    }));

  program.command('audit').description('The audit log').command('list').description('Writes and denied requests, newest first (Owners)')
    .option('--since <when>', 'an ISO time or a duration: 30m, 12h, 7d').option('--user <name>').option('--action <prefix>', 'e.g. jobs/ or access/write')
    .option('--outcome <outcome>', 'allowed, denied or failed').option('--max-results <n>', 'at most this many (≤ 1000)', '100')
    .addOption(outputOption()).addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.audit.list({ since: opts.since, user: opts.user, action: opts.action, outcome: opts.outcome, max_results: opts.maxResults });
      print(value, opts.output, opts.query, () => table(value.map((e) => ({ time: e.time, user: e.user ?? '', action: e.action, request: `${e.method} ${e.route}`, target: e.target ?? '', status: e.status, outcome: e.outcome })),
        ['time', 'user', 'action', 'request', 'target', 'status', 'outcome']));
    }));
}
