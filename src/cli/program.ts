/** The `stratus` command: its command groups, and what az accepts on every command. */
import { Command } from 'commander';
import { STRATUS_VERSION } from '../version.ts';
import { registerUpCommand } from './up-command.ts';
import { registerTrackingCommands } from './tracking-commands.ts';
import { registerJobCommands } from './job-commands.ts';
import { registerComputeCommands } from './compute-commands.ts';
import { registerAssetCommands } from './asset-commands.ts';
import { registerDatastoreCommands, registerFileCommands } from './file-commands.ts';
import { registerSqlCommands } from './sql-commands.ts';
import { registerEndpointCommands } from './endpoint-commands.ts';
import { registerScheduleCommands } from './schedule-commands.ts';
import { acceptAzGlobals } from './az-globals.ts';
import { registerBatchCommands } from './batch-commands.ts';
import { registerAccessCommands } from './access-commands.ts';

export function buildProgram(): Command {
  const program = new Command();
  program.name('stratus').description('Self-hosted machine-learning workspace').version(STRATUS_VERSION).enablePositionalOptions();
  registerUpCommand(program);
  registerTrackingCommands(program);
  registerJobCommands(program);
  registerComputeCommands(program);
  registerAssetCommands(program);
  registerFileCommands(program);
  registerDatastoreCommands(program);
  registerSqlCommands(program);
  registerEndpointCommands(program);
  registerScheduleCommands(program);
  registerBatchCommands(program);
  registerAccessCommands(program);
  acceptAzGlobals(program);
  return program;
}
