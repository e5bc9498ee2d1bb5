/** What every CLI command shares: options, the client from the environment, error exits. */
import { Option } from 'commander';
import { ApiError, ServerUnreachableError, StratusClient } from '../client/index.ts';
import { StratusError } from '../util/errors.ts';

export const outputOption = () => new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');
export const queryOption = () => new Option('--query <field>', 'print one field of the result, e.g. status');

export function fail(message: string, code = 1): never {
  process.stderr.write(`stratus: ${message}\n`);
  process.exit(code);
}

export async function withClient(fn: (client: StratusClient) => Promise<void>): Promise<void> {
  try {
    await fn(new StratusClient({ baseUrl: process.env.STRATUS_URL || 'http://127.0.0.1:7700', token: process.env.STRATUS_TOKEN || process.env.MLFLOW_TRACKING_TOKEN }));
  } catch (err) {
    if (err instanceof ServerUnreachableError) fail(err.message, 3);
    if (err instanceof ApiError) fail(`${err.code}: ${err.message}`, err.status === 404 ? 4 : 1);
    if (err instanceof StratusError) fail(err.message, 1);
    throw err;
  }
}
