/**
 * Code snapshots and local input uploads, on the submitting side: the files of a folder
 * (honouring .gitignore and .amlignore for code), hashed by content so an unchanged folder is
 * uploaded once, and refused with a clear error over the size limit.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ignore from 'ignore';
import { invalid } from '../util/errors.ts';
import { uploadFolder, uploadRef, type UploadKind } from './uploads.ts';

export interface LocalFile {
  rel: string;
  abs: string;
  size: number;
}

export const SNAPSHOT_LIMIT_BYTES = Number(process.env.STRATUS_SNAPSHOT_LIMIT_MB ?? 300) * 1024 * 1024;

function ignoreRules(root: string) {
  const ig = ignore().add(['.git/', '__pycache__/', '.ipynb_checkpoints/']);
  for (const f of ['.gitignore', '.amlignore']) {
    const p = path.join(root, f);
    if (fs.existsSync(p)) ig.add(fs.readFileSync(p, 'utf8'));
  }
  return ig;
}

/** Files under `target` (a folder or one file); `honourIgnoreFiles` for code snapshots. */
export function collectFiles(target: string, what: string, honourIgnoreFiles: boolean): LocalFile[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    throw invalid(`${what}: ${target} does not exist.`);
  }
  if (st.isFile()) return [{ rel: path.basename(target), abs: target, size: st.size }];
  const ig = honourIgnoreFiles ? ignoreRules(target) : ignore();
  const out: LocalFile[] = [];
  let total = 0;
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (ig.ignores(e.isDirectory() ? `${r}/` : r)) continue;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs, r);
      else if (e.isFile()) {
        const size = fs.statSync(abs).size;
        total += size;
        if (total > SNAPSHOT_LIMIT_BYTES) {
          throw invalid(`${what}: ${target} holds more than ${Math.round(SNAPSHOT_LIMIT_BYTES / 1048576)} MB (the snapshot limit). ` +
            'List large files or folders in .amlignore, or register them as a data asset and pass them as an input.');
        }
        out.push({ rel: r, abs, size });
      }
    }
  };
  walk(target, '');
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

export function contentHash(files: LocalFile[], salt = ''): string {
  const h = crypto.createHash('sha256').update(salt);
  for (const f of files) {
    h.update(f.rel).update('\0').update(crypto.createHash('sha256').update(fs.readFileSync(f.abs)).digest()).update('\0');
  }
  return h.digest('hex').slice(0, 32);
}

/**
 * Where a local file or folder goes in the store, the same for the CLI and the server: its hash
 * (an upload's name is part of it), its folder, where each of its files goes, and how a spec names it.
 */
export function contentAddress(target: string, files: LocalFile[], kind: UploadKind) {
  const base = path.basename(target);
  const hash = contentHash(files, kind === 'uploads' ? base : '');
  const folder = uploadFolder(kind, hash);
  const isFile = files.length === 1 && files[0].abs === target;
  return {
    hash, base, folder, ref: uploadRef(hash, base),
    destOf: (f: LocalFile) => (kind === 'snapshots' ? `${folder}/${f.rel}` : isFile ? `${folder}/${base}` : `${folder}/${base}/${f.rel}`),
  };
}
