/**
 * stratus file list|upload|download|delete — the workspace file share that compute instances open
 * in Jupyter — and stratus datastore list|show|list-files|upload|download|delete-file, the same
 * verbs over the default datastore's files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { StratusClient } from '../client/index.ts';
import { collectFiles } from '../specs/snapshot.ts';
import { print, table } from './format.ts';
import { fail, outputOption, queryOption, withClient } from './runner.ts';

type FileArea = StratusClient['files'];

async function downloadAll(area: FileArea, where: string, remote: string, dest: string): Promise<number> {
  const parent = remote.includes('/') ? remote.slice(0, remote.lastIndexOf('/')) : '';
  const base = remote.slice(remote.lastIndexOf('/') + 1);
  const entry = (await area.list(parent)).files.find((f) => f.path === base);
  if (!entry) fail(`no such file or folder in ${where}: ${remote}`, 4);
  if (!entry.is_dir) {
    const res = await area.download(remote);
    fs.mkdirSync(dest, { recursive: true });
    await pipeline(Readable.fromWeb(res.body as never), fs.createWriteStream(path.join(dest, base)));
    return 1;
  }
  let n = 0;
  for (const f of (await area.list(remote)).files) n += await downloadAll(area, where, `${remote}/${f.path}`, path.join(dest, base));
  return n;
}

interface AreaVerbs {
  /** The files a command works on, from its options. */
  area: (client: StratusClient, opts: { name?: string }) => FileArea;
  /** How help and messages name it ("the share", "the datastore"). */
  where: string;
  /** Command names: list, upload, download, delete. */
  names: [string, string, string, string];
  /** Where uploads go by default. */
  uploadTo: string;
  /** Adds options every verb takes (a datastore's --name). */
  common?: (cmd: Command) => Command;
}

/** The four file verbs, over the share or a datastore. */
function registerFileVerbs(group: Command, v: AreaVerbs): void {
  const common = v.common ?? ((c: Command) => c);
  const [listName, uploadName, downloadName, deleteName] = v.names;
  common(group.command(listName))
    .description(`List one folder of ${v.where}`)
    .option('-p, --path <folder>', `folder in ${v.where}`, '')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { files } = await v.area(client, opts).list(opts.path);
      const rows = files.map((f) => ({ name: f.is_dir ? `${f.path}/` : f.path, size: f.is_dir ? '' : f.file_size, created_by: f.created_by ?? '', modified_by: f.modified_by ?? '' }));
      print(files, opts.output, opts.query, () => table(rows, ['name', 'size', 'created_by', 'modified_by']));
    }));
  common(group.command(uploadName))
    .description(`Upload a local file or folder into ${v.where}`)
    .requiredOption('-s, --source <local>', 'local file or folder')
    .option('-p, --path <folder>', `folder in ${v.where} to upload into`, v.uploadTo)
    .action((opts) => withClient(async (client) => {
      const area = v.area(client, opts);
      const source = path.resolve(opts.source);
      if (!fs.existsSync(source)) fail(`no such local file or folder: ${opts.source}`);
      const base = path.basename(source);
      const target = opts.path.replace(/\/+$/, '');
      const files = fs.statSync(source).isFile() ? [{ rel: '', abs: source }] : collectFiles(source, 'upload', false);
      for (const f of files) {
        const remote = [target, base, f.rel].filter(Boolean).join('/');
        await area.upload(remote, Readable.toWeb(fs.createReadStream(f.abs)) as ReadableStream);
      }
      console.log(`Uploaded ${files.length} file${files.length === 1 ? '' : 's'} to ${[target, base].filter(Boolean).join('/')}.`);
    }));
  common(group.command(downloadName))
    .description(`Download a file or folder of ${v.where}`)
    .requiredOption('-p, --path <path>', `file or folder in ${v.where}`)
    .option('-d, --download-path <local>', 'local folder to write into', '.')
    .action((opts) => withClient(async (client) => {
      const n = await downloadAll(v.area(client, opts), v.where, opts.path.replace(/\/+$/, ''), path.resolve(opts.downloadPath));
      console.log(`Downloaded ${n} file${n === 1 ? '' : 's'} to ${opts.downloadPath}.`);
    }));
  common(group.command(deleteName))
    .description(`Delete a file or folder of ${v.where}`)
    .requiredOption('-p, --path <path>', `file or folder in ${v.where}`)
    .option('-y, --yes', 'do not ask for confirmation (accepted for scripts)')
    .action((opts) => withClient(async (client) => {
      await v.area(client, opts).delete(opts.path);
      console.log(`Deleted ${opts.path}.`);
    }));
}

export function registerFileCommands(program: Command): void {
  const file = program.command('file').description('The workspace file share (Users/<you>/…): what compute instances open in Jupyter');
  registerFileVerbs(file, { area: (client) => client.files, where: 'the share', names: ['list', 'upload', 'download', 'delete'], uploadTo: 'Users' });
}

export function registerDatastoreCommands(program: Command): void {
  const datastore = program.command('datastore').description('Datastores: workspaceblobstore (the default, files kept in the workspace) and workspaceartifactstore');
  datastore
    .command('list')
    .description('List datastores')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { value } = await client.datastores.list();
      print(value, opts.output, opts.query, () => table(value, ['name', 'type', 'is_default', 'writable']));
    }));
  datastore
    .command('show')
    .description('Show a datastore')
    .requiredOption('-n, --name <name>')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const d = await client.datastores.get(opts.name);
      print(d, opts.output, opts.query, () => table([d], ['name', 'type', 'is_default', 'writable', 'description']));
    }));
  registerFileVerbs(datastore, {
    area: (client, opts) => client.datastores.files(opts.name ?? 'workspaceblobstore'), where: 'the datastore',
    names: ['list-files', 'upload', 'download', 'delete-file'], uploadTo: '',
    common: (cmd) => cmd.option('-n, --name <name>', 'the datastore', 'workspaceblobstore'),
  });
}
