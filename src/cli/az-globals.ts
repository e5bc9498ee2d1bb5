/**
 * What az accepts on every command, accepted on every stratus command too, so scripts written for
 * `az ml` run unchanged: `-o/--output` and `--query` (commands that print no resource accept them
 * and print nothing more), and the Azure scope options, which this CLI accepts and ignores — it
 * talks to the one workspace at STRATUS_URL.
 */
import { Option, type Command } from 'commander';
import { OUTPUT_FORMATS } from './format.ts';

const SCOPE_NOTE = 'accepted for az ml scripts and ignored: stratus talks to the one workspace at STRATUS_URL';

export const AZ_SCOPE_OPTIONS: [flags: string, name: string][] = [
  ['-g, --resource-group <name>', 'resource group'],
  ['-w, --workspace-name <name>', 'workspace name'],
  ['--subscription <id>', 'subscription'],
];

/** Every command that runs something (not a group, not `help`). */
export function leafCommands(cmd: Command): Command[] {
  return cmd.commands.length ? cmd.commands.flatMap(leafCommands) : [cmd];
}

export function acceptAzGlobals(program: Command): void {
  for (const leaf of leafCommands(program)) {
    if (leaf.name() === 'up') continue;
    const has = (long: string) => leaf.options.some((o) => o.long === long);
    if (!has('--output')) leaf.addOption(new Option('-o, --output <format>', 'accepted as az accepts it; this command prints no resource').choices(OUTPUT_FORMATS).default('table'));
    if (!has('--query')) leaf.addOption(new Option('--query <jmespath>', 'accepted as az accepts it; this command prints no resource'));
    for (const [flags, what] of AZ_SCOPE_OPTIONS) {
      const long = flags.split(' ').find((f) => f.startsWith('--'))!;
      if (!has(long)) leaf.addOption(new Option(flags, `${what}: ${SCOPE_NOTE}`));
    }
    if (!has('--only-show-errors')) leaf.addOption(new Option('--only-show-errors', 'accepted as az accepts it (stratus prints warnings on stderr only)'));
  }
}
