/**
 * Single sign-on against a real OpenID Connect provider (panva's oidc-provider, started here on
 * 127.0.0.1): the studio's sign-in in Chromium (authorization code with PKCE), `stratus login
 * --sso` (device flow, confirmed in the browser), the groups claim mapped to roles, and forged or
 * replayed answers refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import Provider from 'oidc-provider';
import { SignJWT, generateKeyPair } from 'jose';
import { chromium, type Browser } from 'playwright-core';
import { runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';

const CHROMIUM = process.env.STRATUS_CHROMIUM ?? '/usr/bin/chromium';
const BIN = path.resolve(import.meta.dirname, '../bin/stratus.js');
const GROUPS: Record<string, string[]> = { carol: ['ml-team'], dave: ['ml-admins', 'other'] };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('single sign-on with OpenID Connect', { timeout: 300_000 }, () => {
  let idp: http.Server;
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;
  let issuer: string;

  before(async () => {
    const [idpPort, port] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${idpPort}`;
    const stratusUrl = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      clients: [
        { client_id: 'stratus', client_secret: 'stratus-client-secret', redirect_uris: [`${stratusUrl}/api/v1/auth/oidc/callback`], grant_types: ['authorization_code'], response_types: ['code'] },
        { client_id: 'stratus-cli', token_endpoint_auth_method: 'none', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], redirect_uris: [] },
      ],
      async findAccount(_ctx, id) {
        return { accountId: id, async claims() { return { sub: id, preferred_username: id, name: `${id[0].toUpperCase()}${id.slice(1)}`, groups: GROUPS[id] ?? [] }; } };
      },
      claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups'] },
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
      cookies: { keys: ['oidc-test-cookie-key'] },
    });
    idp = http.createServer(provider.callback());
    await new Promise<void>((resolve) => idp.listen(idpPort, '127.0.0.1', resolve));
    server = await startServer({
      port,
      auth: {
        accounts: true,
        oidc: {
          issuer, clientId: 'stratus', clientSecret: 'stratus-client-secret', cliClientId: 'stratus-cli', scopes: 'openid profile',
          groupsClaim: 'groups', roles: { 'ml-admins': 'Owner', 'ml-team': 'AzureML Data Scientist' },
        },
      },
    });
    assert.ok(fs.existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    idp?.close();
  });

  /** The provider's own pages: its login form (any password, in development mode), then consent. */
  async function signInAtProvider(page: import('playwright-core').Page, login: string) {
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('whatever');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  test('the studio signs in at the provider and comes back with a session; the groups claim gives the role', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${server.url}/#/jobs`);
    await page.getByTestId('sso').click();
    await signInAtProvider(page, 'carol');
    await page.getByTestId('whoami').getByText('carol').waitFor();
    assert.match(page.url(), /#\/jobs$/, 'back where the sign-in started');
    const carol = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json()) as { username: string; roles: string[]; via: string };
    assert.deepEqual([carol.username, carol.roles, carol.via], ['carol', ['AzureML Data Scientist'], 'session']);
    // A data scientist cannot manage access.
    assert.equal(await page.evaluate(async () => (await fetch('/api/v1/users')).status), 403);
    await ctx.close();
  });

  test('stratus login --sso: the device flow confirmed in a browser, the ID token exchanged for a workspace token', async () => {
    const config = tempDir('stratus-sso-config-');
    const child = spawn(process.execPath, [BIN, 'login', '--sso'], { env: { ...process.env, STRATUS_URL: server.url, STRATUS_CONFIG_DIR: config, STRATUS_TOKEN: '', MLFLOW_TRACKING_TOKEN: '' } });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /open (\S+) and confirm the code/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error(`stratus login --sso ended early: ${out} ${err}`)));
    });
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Continue' }).click();
    await signInAtProvider(page, 'dave');
    await page.getByText(/Sign-in Success/i).waitFor();
    await ctx.close();
    assert.equal(await exited, 0, out + err);
    assert.match(out, /Signed in to .* as dave/);
    const listed = await runCli(['user', 'show', '-n', 'dave', '-o', 'json'], { url: server.url, env: { STRATUS_CONFIG_DIR: config, STRATUS_TOKEN: '', MLFLOW_TRACKING_TOKEN: '' } });
    assert.equal(listed.code, 0, listed.stderr);
    const dave = JSON.parse(listed.stdout);
    assert.deepEqual(dave.roles, ['Owner'], 'ml-admins maps to Owner; the unmapped group adds nothing');
    assert.equal(dave.display_name, 'Dave');
  });

  test('forged ID tokens and unknown sign-ins are refused', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ sub: 'mallory', preferred_username: 'mallory', groups: ['ml-admins'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'not-the-providers' }).setIssuer(issuer).setAudience('stratus-cli').setIssuedAt().setExpirationTime('5m').sign(privateKey);
    const res = await fetch(`${server.url}/api/v1/auth/oidc/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id_token: forged }) });
    assert.equal(res.status, 401);
    assert.match((await res.json() as { message: string }).message, /The ID token was not accepted/);
    const replay = await fetch(`${server.url}/api/v1/auth/oidc/callback?code=abc&state=never-issued`, { redirect: 'manual' });
    assert.equal(replay.status, 401);
    const admin = new StratusClient({ baseUrl: server.url, basic: { username: 'dave', password: 'x' } });
    await assert.rejects(admin.users.list(), /Authentication required/, 'a single-sign-on user has no password');
    const audit = await fetch(`${server.url}/api/v1/audit?action=self/sign-in`, { headers: { Authorization: `Basic ${Buffer.from(`admin:${server.initialAdmin?.password ?? ''}`).toString('base64')}` } });
    assert.equal(audit.status, 200, await audit.clone().text());
    const rows = (await audit.json() as { value: { user?: string; outcome: string }[] }).value;
    assert.ok(rows.some((r) => r.user === 'carol' && r.outcome === 'allowed'));
    assert.ok(rows.some((r) => r.outcome === 'denied'));
  });
});
