/** Moving files between this machine and the workspace store, for the CLI's commands. */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StratusClient } from '../client/index.ts';
import { collectFiles, contentAddress } from '../specs/snapshot.ts';
import { uploadProgress } from './progress.ts';
import { COMPLETE_MARKER, type UploadKind } from '../specs/uploads.ts';

const PROGRESS_FROM_BYTES = 8 * 1024 * 1024;

/** Uploads a folder or file once per content hash; returns the hash and, for an upload, how a spec names it. */
export async function upload(client: StratusClient, target: string, kind: UploadKind, what: string): Promise<{ hash: string; base: string; ref: string }> {
  const files = collectFiles(target, what, kind === 'snapshots');
  const { hash, base, folder, ref, destOf } = contentAddress(target, files, kind);
  const state = await client.jobs.snapshot(hash);
  const done = kind === 'snapshots' ? state.snapshot_complete : state.upload_complete;
  if (!done) {
    const total = files.reduce((n, f) => n + f.size, 0);
    // Progress only where it helps: an upload that takes a moment.
    const report = total >= PROGRESS_FROM_BYTES ? uploadProgress(`Uploading ${what} ${base}`, total) : undefined;
    let sent = 0;
    for (const f of files) {
      const stream = fs.createReadStream(f.abs);
      if (report) stream.on('data', (chunk) => report((sent += chunk.length)));
      await client.putArtifact(destOf(f), Readable.toWeb(stream) as ReadableStream);
    }
    if (report && total === 0) report(0);
    await client.putArtifact(`${folder}/${COMPLETE_MARKER}`, Buffer.from(new Date().toISOString()));
  }
  return { hash, base, ref };
}

/** Downloads a stored folder (or one file) to `dest`; returns the number of files. */
export async function downloadTree(client: StratusClient, rel: string, dest: string): Promise<number> {
  const { files = [] } = await client.listArtifacts(rel);
  let n = 0;
  for (const f of files) {
    if (f.path.startsWith('.stratus-')) continue;
    if (f.is_dir) n += await downloadTree(client, `${rel}/${f.path}`, path.join(dest, f.path));
    else {
      await downloadArtifact(client, `${rel}/${f.path}`, path.join(dest, f.path));
      n++;
    }
  }
  return n;
}


/** Downloads a store path that may be a file or a folder. */
export async function downloadPath(client: StratusClient, rel: string, dest: string): Promise<number> {
  const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  const { files = [] } = await client.listArtifacts(parent);
  const entry = files.find((f) => f.path === base);
  if (entry && !entry.is_dir) {
    await downloadArtifact(client, rel, path.join(dest, base));
    return 1;
  }
  return downloadTree(client, rel, path.join(dest, base));
}

/** Writes one stored file to `dest`. */
async function downloadArtifact(client: StratusClient, rel: string, dest: string): Promise<void> {
  const res = await client.fetchArtifact(rel);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  await pipeline(Readable.fromWeb(res.body as any), fs.createWriteStream(dest));
}
