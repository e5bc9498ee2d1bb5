/** stratus file list|upload|download|delete — the workspace file share that compute instances open in Jupyter. */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { StratusClient } from '../client/index.ts';
import { collectFiles } from '../specs/snapshot.ts';
import { print, table } from './format.ts';
import { fail, outputOption, queryOption, withClient } from './runner.ts';

async function downloadAll(client: StratusClient, remote: string, dest: string): Promise<number> {
  const parent = remote.includes('/') ? remote.slice(0, remote.lastIndexOf('/')) : '';
  const base = remote.slice(remote.lastIndexOf('/') + 1);
  const entry = (await client.files.list(parent)).files.find((f) => f.path === base);
  if (!entry) fail(`no such file or folder in the share: ${remote}`, 4);
  if (!entry.is_dir) {
    const res = await client.files.download(remote);
    fs.mkdirSync(dest, { recursive: true });
    await pipeline(Readable.fromWeb(res.body as never), fs.createWriteStream(path.join(dest, base)));
    return 1;
  }
  let n = 0;
  for (const f of (await client.files.list(remote)).files) n += await downloadAll(client, `${remote}/${f.path}`, path.join(dest, base));
  return n;
}

export function registerFileCommands(program: Command): void {
  const file = program.command('file').description('The workspace file share (Users/<you>/…): what compute instances open in Jupyter');
  file
    .command('list')
    .description('List one folder of the share')
    .option('-p, --path <folder>', 'folder in the share', '')
    .addOption(outputOption())
    .addOption(queryOption())
    .action((opts) => withClient(async (client) => {
      const { files } = await client.files.list(opts.path);
      const rows = files.map((f) => ({ name: f.is_dir ? `${f.path}/` : f.path, size: f.is_dir ? '' : f.file_size }));
      print(files, opts.output, opts.query, () => table(rows, ['name', 'size']));
    }));
  file
    .command('upload')
    .description('Upload a local file or folder into the share (notebooks are checked against nbformat v4)')
    .requiredOption('-s, --source <local>', 'local file or folder')
    .option('-p, --path <folder>', 'folder in the share to upload into', 'Users')
    .action((opts) => withClient(async (client) => {
      const source = path.resolve(opts.source);
      if (!fs.existsSync(source)) fail(`no such local file or folder: ${opts.source}`);
      const base = path.basename(source);
      const target = opts.path.replace(/\/+$/, '');
      const files = fs.statSync(source).isFile() ? [{ rel: '', abs: source }] : collectFiles(source, 'upload', false);
      for (const f of files) {
        const remote = [target, base, f.rel].filter(Boolean).join('/');
        await client.files.upload(remote, Readable.toWeb(fs.createReadStream(f.abs)) as ReadableStream);
      }
      console.log(`Uploaded ${files.length} file${files.length === 1 ? '' : 's'} to ${[target, base].filter(Boolean).join('/')}.`);
    }));
  file
    .command('download')
    .description('Download a file or folder of the share')
    .requiredOption('-p, --path <path>', 'file or folder in the share')
    .option('-d, --download-path <local>', 'local folder to write into', '.')
    .action((opts) => withClient(async (client) => {
      const n = await downloadAll(client, opts.path.replace(/\/+$/, ''), path.resolve(opts.downloadPath));
      console.log(`Downloaded ${n} file${n === 1 ? '' : 's'} to ${opts.downloadPath}.`);
    }));
  file
    .command('delete')
    .description('Delete a file or folder of the share')
    .requiredOption('-p, --path <path>', 'file or folder in the share')
    .option('-y, --yes', 'do not ask for confirmation (accepted for scripts)')
    .action((opts) => withClient(async (client) => {
      await client.files.delete(opts.path);
      console.log(`Deleted ${opts.path}.`);
    }));
}
