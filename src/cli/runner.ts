/** What every CLI command shares: options, the client from the environment, error exits. */
import { spawn } from 'node:child_process';
import { Option } from 'commander';
import { ApiError, ServerUnreachableError, StratusClient } from '../client/index.ts';
import { StratusError } from '../util/errors.ts';
import { OUTPUT_FORMATS, QueryError } from './format.ts';
import { cliToken } from './credentials.ts';

export const outputOption = () => new Option('-o, --output <format>', 'output format, as az prints it').choices(OUTPUT_FORMATS).default('table');
/** `--no-wait` where az has it and the work here finishes at once anyway: accepted, and said so. */
export const instantNoWait = () => new Option('--no-wait', 'accepted as az accepts it; this returns as soon as it is done here anyway');
export const queryOption = () => new Option('--query <jmespath>', 'JMESPath query of the result, e.g. status or "[].name"');

export function fail(message: string, code = 1): never {
  process.stderr.write(`stratus: ${message}\n`);
  process.exit(code);
}

export async function withClient(fn: (client: StratusClient) => Promise<void>): Promise<void> {
  try {
    await fn(new StratusClient({ baseUrl: workspaceUrl(), token: cliToken(workspaceUrl()) }));
  } catch (err) {
    if (err instanceof ServerUnreachableError) fail(err.message, 3);
    if (err instanceof ApiError) fail(`${err.code}: ${err.message}`, err.status === 404 ? 4 : 1);
    if (err instanceof StratusError) fail(err.message, 1);
    if (err instanceof QueryError) fail(err.message, 2);
    throw err;
  }
}

/** The workspace the CLI talks to. */
export const workspaceUrl = () => (process.env.STRATUS_URL || 'http://127.0.0.1:7700').replace(/\/+$/, '');

/** `--web`: the studio page of a resource, printed, and opened in a browser where this machine has one. */
export function openInStudio(route: string[]): void {
  const url = `${workspaceUrl()}/#/${route.map(encodeURIComponent).join('/')}`;
  process.stderr.write(`Studio: ${url}\n`);
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : process.env.DISPLAY || process.env.WAYLAND_DISPLAY ? 'xdg-open' : undefined;
  if (!opener) return;
  try {
    spawn(opener, [url], { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
  } catch {
    // No browser to open: the address above is enough.
  }
}
