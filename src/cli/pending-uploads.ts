/** Carries out the uploads a parsed pipeline, sweep or component asks for, writing the references back. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StratusClient } from '../client/index.ts';
import type { PendingUpload } from '../specs/component-yaml.ts';
import { fail } from './runner.ts';
import { upload } from './transfer.ts';

/** A code folder plus its additional_includes, laid out as the job will see them. */
function mergedCodeFolder(paths: string[], what: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stratus-code-'));
  const [code, ...includes] = paths;
  if (!fs.existsSync(code)) fail(`${what}: ${code} does not exist.`);
  fs.cpSync(code, dir, { recursive: true });
  for (const inc of includes) {
    if (!fs.existsSync(inc)) fail(`${what}: additional_includes entry ${inc} does not exist.`);
    fs.cpSync(inc, path.join(dir, path.basename(inc)), { recursive: true });
  }
  return dir;
}

export async function runUploads(client: StratusClient, uploads: PendingUpload[]): Promise<void> {
  for (const u of uploads) {
    if (u.kind === 'input') {
      u.assign((await upload(client, u.path, 'uploads', u.what)).ref);
      continue;
    }
    const folder = u.paths.length > 1 ? mergedCodeFolder(u.paths, u.what) : u.paths[0];
    try {
      u.assign((await upload(client, folder, 'snapshots', u.what)).hash);
    } finally {
      if (folder !== u.paths[0]) fs.rmSync(folder, { recursive: true, force: true });
    }
  }
}
