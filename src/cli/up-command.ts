/** `stratus up`: starts a workspace. */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { STRATUS_VERSION } from '../version.ts';
import { fail } from './runner.ts';

const DEFAULT_PORT = 7700;
const DEFAULT_DATA_DIR = path.join(os.homedir(), '.stratus');

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('Start a workspace: MLflow-compatible tracking, registry and artifact API on one port')
    .option('--host <host>', 'address to listen on', process.env.STRATUS_HOST ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on', process.env.STRATUS_PORT ?? String(DEFAULT_PORT))
    .option('--data-dir <dir>', 'folder for the SQLite store and artifacts', process.env.STRATUS_DATA_DIR ?? DEFAULT_DATA_DIR)
    .option('--store <url>', 'metadata store: postgresql://user:pass@host:port/db (default: SQLite in the data dir)', process.env.STRATUS_STORE)
    .option('--log', 'log every request', false)
    .option('--auth <mode>', 'users: require sign-in with user accounts and personal access tokens (STRATUS_AUTH=users); a workspace token (STRATUS_AUTH_TOKEN) turns it on too', process.env.STRATUS_AUTH)
    .action(async (opts) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`Invalid --port '${opts.port}': give a number from 0 to 65535.`);
      if (opts.auth !== undefined && opts.auth !== 'users' && opts.auth !== 'none') fail(`Invalid --auth '${opts.auth}': use users (accounts and tokens) or none.`);
      try {
        // Loaded only here, so client commands start without the server's modules.
        const { serve } = await import('../server/serve.ts');
        const { oidcSettingsFrom } = await import('../access/oidc.ts');
        const server = await serve({
          host: opts.host,
          port,
          dataDir: opts.dataDir,
          storeUrl: opts.store,
          logger: opts.log,
          auth: {
            token: process.env.STRATUS_AUTH_TOKEN,
            username: process.env.STRATUS_AUTH_USERNAME,
            password: process.env.STRATUS_AUTH_PASSWORD,
            accounts: opts.auth === 'users',
            oidc: oidcSettingsFrom(process.env),
          },
        });
        const store = opts.store ? opts.store.replace(/\/\/[^@/]*@/, '//***@') : `SQLite in ${opts.dataDir}`;
        console.log(`Stratus ${STRATUS_VERSION} is up at ${server.url}`);
        console.log(`  metadata: ${store}\n  artifacts: ${server.workspace.artifacts.root}`);
        console.log(`  MLflow clients: mlflow.set_tracking_uri("${server.url}")`);
        const admin = server.initialAdmin;
        if (admin) {
          // Printed once: the password is stored only as a hash.
          console.log(`  first admin: ${admin.username}${admin.password ? ` with password ${admin.password} (shown once; change it: stratus user set-password -n ${admin.username})` : ' (password from STRATUS_ADMIN_PASSWORD)'}`);
        }
        const stop = async () => {
          await server.close();
          process.exit(0);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (err) {
        fail((err as Error).message);
      }
    });
}
