/** stratus environment|data|model|component create|list|show|download|archive — Azure ML's asset verbs. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { AssetJson, StratusClient } from '../client/index.ts';
import { YamlSource } from '../specs/yaml-source.ts';
import { applySets } from '../specs/command-job.ts';
import { registerComponentFile } from './component-file.ts';
import { registerPromoteCommand } from './promote-command.ts';
import { print, table } from './format.ts';
import { downloadPath, downloadTree, upload } from './transfer.ts';
import { fail, outputOption, queryOption, withClient } from './runner.ts';

/** What list, show and archive need of any kind of asset's client. */
interface AssetApi {
  list(name?: string): Promise<{ value: AssetJson[] }>;
  show(name: string, version?: string, label?: string): Promise<AssetJson>;
  archive(name: string, version: string): Promise<AssetJson>;
  create(body: Record<string, unknown>): Promise<AssetJson>;
}

const row = (a: AssetJson) => ({
  name: a.name, version: a.version, type: a.type ?? (a.curated ? 'curated' : ''), stage: a.stage ?? (a.archived ? 'Archived' : ''),
  created: String(a.creation_context?.created_at ?? '').replace('T', ' ').slice(0, 19), description: a.description ?? '',
});
const COLUMNS = ['name', 'version', 'type', 'stage', 'created', 'description'];

function describe(a: AssetJson): string {
  return table(Object.entries(a).filter(([, v]) => v !== undefined && v !== '').map(([field, value]) => ({
    field, value: typeof value === 'object' ? JSON.stringify(value) : value,
  })), ['field', 'value']);
}

/** list, show and archive are the same for every kind of asset. */
function commonVerbs(cmd: Command, api: (c: StratusClient) => AssetApi): void {
  const kind = cmd.name() === 'data' ? 'data asset' : cmd.name();
  const isEnvironment = cmd.name() === 'environment';
  const listCmd = cmd
    .command('list')
    .description(isEnvironment ? 'List environment versions, newest first, then the curated environments' : `List ${kind} versions, newest first`)
    .option('-n, --name <name>', 'only versions of this name');
  if (isEnvironment) listCmd.option('--registry-name <registry>', 'azureml: only the curated environments (Azure\'s registry of them)');
  listCmd
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      if (opts.registryName && opts.registryName !== 'azureml') fail(`--registry-name ${opts.registryName}: the one registry here is azureml (the curated environments).`);
      const { value: all } = await api(client).list(opts.name);
      const value = opts.registryName ? all.filter((a) => a.curated) : all;
      print(value, opts.output, opts.query, () => table(value.map(row), COLUMNS));
    }));
  const showCmd = cmd
    .command('show')
    .description(`Show one ${kind} version (the latest unless --version or --label)${isEnvironment ? '; a curated one by its Azure name, e.g. AzureML-sklearn-1.5' : ''}`);
  if (isEnvironment) showCmd.option('--registry-name <registry>', 'azureml: the curated environments (found by name without it too)');
  showCmd
    .requiredOption('-n, --name <name>')
    .option('-v, --version <version>')
    .option('-l, --label <label>', 'latest', undefined)
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const a = await api(client).show(opts.name, opts.version, opts.version ? undefined : opts.label ?? 'latest');
      print(a, opts.output, opts.query, () => describe(a));
    }));
  cmd
    .command('archive')
    .description(`Archive a ${kind} version (it stays usable by name:version, hidden from latest)`)
    .requiredOption('-n, --name <name>')
    .requiredOption('-v, --version <version>')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const a = await api(client).archive(opts.name, opts.version);
      print(a, opts.output, opts.query, () => describe(a));
    }));
}

/** Keys of Azure ML's asset YAML that change nothing on this workspace, and why. */
const ASSET_NOT_APPLIED: Record<string, string> = {
  properties: 'Stratus keeps no asset properties; use tags',
  datastore: 'assets live in the workspace artifact store',
  stage: 'use model aliases (mlflow) instead of stages',
};
const ASSET_KEYS = ['$schema', 'name', 'version', 'description', 'tags'];
const DATA_KEYS = [...ASSET_KEYS, 'type', 'path'];
const MODEL_KEYS = [...ASSET_KEYS, 'type', 'path'];
const ENVIRONMENT_KEYS = [...ASSET_KEYS, 'image', 'conda_file', 'build'];
const ENVIRONMENT_NOT_APPLIED: Record<string, string> = {
  ...ASSET_NOT_APPLIED, os_type: 'environments run on this host', inference_config: 'deployments name their scoring script',
};

/** An asset YAML (or none), with --set applied and its keys checked; warnings go to stderr. */
function readSpec(file: string | undefined, sets: string[] | undefined, known: string[], notApplied = ASSET_NOT_APPLIED): { data: Record<string, any>; base: string } {
  if (!file) return { data: {}, base: process.cwd() };
  const src = YamlSource.read(file);
  applySets(src.data, sets ?? []);
  for (const w of src.checkKeys([], src.data, known, notApplied)) process.stderr.write(`warning: ${w}\n`);
  return { data: src.data as Record<string, any>, base: path.dirname(path.resolve(file)) };
}

/** A local path is uploaded (once per content hash); other references pass through. */
async function storeRef(client: StratusClient, p: string, base: string, what: string): Promise<string> {
  if (/^(azureml:\/\/|runs:\/)/.test(p)) return p;
  if (/^[a-z][\w+.-]*:/i.test(p)) fail(`${what}: unsupported path '${p}'. Use a local path, runs:/<run>/<path> or azureml://jobs/<job>/outputs/<name>.`);
  const local = path.resolve(base, p);
  if (!fs.existsSync(local)) fail(`${what}: ${local} does not exist.`);
  return (await upload(client, local, 'uploads', what)).ref;
}

/** `create` for assets made from a path (data, models): from flags or a YAML file. */
function pathAssetCreate(cmd: Command, kind: string, pathHelp: string, typeHelp: string, api: (c: StratusClient) => AssetApi): void {
  cmd
    .command('create')
    .description(`Create a ${kind} version from a local path (uploaded), a job output or a run's files`)
    .option('-f, --file <file>', `${kind} YAML: name, version, type, path, description`)
    .option('-n, --name <name>')
    .option('-v, --version <version>')
    .option('-p, --path <path>', pathHelp)
    .option('-t, --type <type>', typeHelp)
    .option('-d, --description <text>')
    .option('--set <key=value...>')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { data: d, base } = readSpec(opts.file, opts.set, kind === 'model' ? MODEL_KEYS : DATA_KEYS);
      const name = opts.name ?? d.name;
      const p = opts.path ?? d.path;
      if (!name || !p) fail(`give --name and --path, or --file ${kind}.yml with name and path.`);
      const a = await api(client).create({
        name, version: opts.version ?? (d.version !== undefined ? String(d.version) : undefined), type: opts.type ?? d.type,
        path: await storeRef(client, p, base, 'path'), description: opts.description ?? d.description, tags: d.tags,
      });
      print(a, opts.output, opts.query, () => describe(a));
    }));
}

export function registerAssetCommands(program: Command): void {
  const env = program.command('environment').description('Registered environments (versioned conda specs)');
  env
    .command('create')
    .description('Create an environment version from its YAML (image and conda file)')
    .requiredOption('-f, --file <file>', 'environment YAML: name, version, image, conda_file')
    .option('-n, --name <name>')
    .option('-v, --version <version>')
    .option('--set <key=value...>')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { data, base } = readSpec(opts.file, opts.set, ENVIRONMENT_KEYS, ENVIRONMENT_NOT_APPLIED);
      let conda: string | undefined;
      const condaPath = data.conda_file ?? (data.build?.path ? ['conda.yml', 'conda.yaml', 'environment.yml', 'conda_dependencies.yaml'].map((f) => path.join(String(data.build.path), f)).find((f) => fs.existsSync(path.resolve(base, f))) : undefined);
      if (typeof condaPath === 'string') {
        try {
          conda = fs.readFileSync(path.resolve(base, condaPath), 'utf8');
        } catch {
          fail(`${opts.file}: conda_file ${path.resolve(base, condaPath)} cannot be read.`);
        }
      } else if (condaPath && typeof condaPath === 'object') conda = JSON.stringify(condaPath);
      const a = await client.environments.create({
        name: opts.name ?? data.name, version: opts.version ?? (data.version !== undefined ? String(data.version) : undefined),
        image: data.image, conda, description: data.description, tags: data.tags,
      });
      print(a, opts.output, opts.query, () => describe(a));
    }));
  commonVerbs(env, (c) => c.environments);

  const component = program.command('component').description('Components (command and pipeline components, versioned and immutable)');
  component
    .command('create')
    .description('Create a component version from its YAML')
    .requiredOption('-f, --file <file>', 'component YAML (commandComponent or pipelineComponent schema)')
    .option('-n, --name <name>')
    .option('-v, --version <version>')
    .option('--set <key=value...>')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const a = await registerComponentFile(client, opts.file, { sets: opts.set, name: opts.name, version: opts.version });
      print(a, opts.output, opts.query, () => describe(a));
    }));
  commonVerbs(component, (c) => c.components);

  const data = program.command('data').description('Data assets (uri_file, uri_folder, mltable)');
  pathAssetCreate(data, 'data', 'local file or folder (uploaded), or azureml://jobs/<job>/outputs/<name>', 'uri_file, uri_folder or mltable', (c) => c.data);
  data
    .command('download')
    .description('Download the files of a version')
    .requiredOption('-n, --name <name>')
    .option('-v, --version <version>')
    .option('-p, --download-path <dir>', 'where to put it', '.')
    .action((opts) => withClient(async (client) => {
      const a = await client.data.show(opts.name, opts.version, opts.version ? undefined : 'latest');
      const rel = String(a.path).replace('azureml://datastores/workspaceartifactstore/paths/', '');
      const n = await downloadPath(client, rel, path.resolve(opts.downloadPath, `${a.name}-${a.version}`));
      console.log(`Downloaded ${n} files of ${a.id}`);
    }));
  commonVerbs(data, (c) => c.data);

  const model = program.command('model').description('Model assets (the same registry MLflow clients see)');
  pathAssetCreate(model, 'model', 'local folder (uploaded), runs:/<run>/<path> or azureml://jobs/<job>/outputs/<name>', 'custom_model or mlflow_model', (c) => c.models);
  registerPromoteCommand(model);
  model
    .command('download')
    .description('Download the files of a version')
    .requiredOption('-n, --name <name>')
    .requiredOption('-v, --version <version>')
    .option('-p, --download-path <dir>', 'where to put it', '.')
    .action((opts) => withClient(async (client) => {
      const { path: rel } = await client.models.files(opts.name, opts.version);
      const n = await downloadTree(client, rel, path.resolve(opts.downloadPath, opts.name, opts.version));
      console.log(`Downloaded ${n} files of azureml:${opts.name}:${opts.version}`);
    }));
  commonVerbs(model, (c) => c.models);
}
