/** Registers a component from its YAML (uploading its code first): `component create`, and a pipeline batch deployment's component file. */
import type { StratusClient } from '../client/index.ts';
import { applySets } from '../specs/command-job.ts';
import { parseComponent } from '../specs/pipeline-yaml.ts';
import { YamlSource } from '../specs/yaml-source.ts';
import { runUploads } from './pending-uploads.ts';
import { fail } from './runner.ts';

export async function registerComponentFile(client: StratusClient, file: string, opts: { sets?: string[]; name?: string; version?: string } = {}) {
  const src = YamlSource.read(file);
  applySets(src.data, opts.sets ?? []);
  const ctx = { uploads: [], warnings: [], notes: [] };
  const spec = parseComponent(src, ctx);
  for (const w of ctx.warnings) process.stderr.write(`warning: ${w}\n`);
  if (opts.name) spec.name = opts.name;
  if (opts.version) spec.version = String(opts.version);
  if (!spec.name) fail(`${file}: a component needs 'name' (or --name).`);
  await runUploads(client, ctx.uploads);
  return client.components.create(spec as unknown as Record<string, unknown>);
}
