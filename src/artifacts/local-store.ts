/**
 * The local artifact store: one folder, every path confined to it. Writes go to a temporary
 * file beside the target and are renamed into place, so an interrupted upload never leaves
 * a half-written artifact.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { invalid, notFound } from '../util/errors.ts';
import { assertSafeRelativePath } from './uri-policy.ts';

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** An upload is written to `.<name>.<12 hex>.part` beside its target, then renamed. */
const temporaryName = (base: string) => `.${base}.${crypto.randomBytes(6).toString('hex')}.part`;
const isTemporaryName = (base: string) => /^\..*\.[0-9a-f]{12}\.part$/.test(base);

export class LocalArtifactStore {
  readonly root: string;
  private realRoot: string;

  constructor(root: string) {
    fs.mkdirSync(root, { recursive: true });
    this.root = path.resolve(root);
    this.realRoot = fs.realpathSync(this.root);
  }

  /** Resolves a relative path under the root, refusing anything that escapes it. */
  resolve(relPath: string): string {
    assertSafeRelativePath(relPath);
    // File systems refuse longer names (ENAMETOOLONG): say so before touching one.
    if (relPath.length > 4000 || relPath.split('/').some((seg) => Buffer.byteLength(seg) > 255)) {
      throw invalid(`Invalid path '${relPath.slice(0, 100)}…': a name is at most 255 bytes long and a path at most 4000 characters.`);
    }
    const full = path.resolve(this.root, relPath);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) {
      throw invalid(`Invalid path '${relPath}': it resolves outside the artifact root.`);
    }
    this.assertNoSymlinkEscape(full, relPath);
    return full;
  }

  /** The deepest existing ancestor (or the file itself) must really live under the root. */
  private assertNoSymlinkEscape(full: string, relPath: string): void {
    let probe = full;
    while (probe.length >= this.root.length) {
      let real: string | undefined;
      try {
        real = fs.realpathSync(probe);
      } catch {
        probe = path.dirname(probe);
        continue;
      }
      if (real !== this.realRoot && !real.startsWith(this.realRoot + path.sep)) {
        throw invalid(`Invalid path '${relPath}': it leads outside the artifact root through a symbolic link.`);
      }
      return;
    }
  }

  async write(relPath: string, body: Readable): Promise<void> {
    if (!relPath || relPath.endsWith('/')) throw invalid(`Invalid artifact path '${relPath}': name a file to upload.`);
    if (isTemporaryName(path.posix.basename(relPath))) {
      throw invalid(`Invalid artifact path '${relPath}': names of the form .<name>.<hex>.part are the store's uploads in progress (never listed); rename the file.`);
    }
    const target = this.resolve(relPath);
    await fsp.mkdir(path.dirname(target), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      // A file stands where a folder of the path would be.
      if (err.code === 'ENOTDIR' || err.code === 'EEXIST') {
        const parts = relPath.split('/');
        const blocking = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/')).find((p) => fs.statSync(this.resolve(p), { throwIfNoEntry: false })?.isFile());
        throw invalid(`Cannot write '${relPath}': '${blocking ?? path.posix.dirname(relPath)}' is a file, not a folder. Delete or rename it first, or write elsewhere.`);
      }
      throw err;
    });
    this.assertNoSymlinkEscape(target, relPath);
    const tmp = path.join(path.dirname(target), temporaryName(path.basename(target)));
    try {
      await pipeline(body, fs.createWriteStream(tmp, { flags: 'wx' }));
      const stat = await fsp.lstat(target).catch(() => undefined);
      if (stat?.isDirectory()) throw invalid(`Cannot upload '${relPath}': a directory with that name exists.`);
      await fsp.rename(tmp, target);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  async stat(relPath: string): Promise<fs.Stats> {
    const full = this.resolve(relPath);
    const st = await fsp.stat(full).catch(() => undefined);
    if (!st) throw notFound(`No such artifact: '${relPath}'.`);
    return st;
  }

  openRead(relPath: string): fs.ReadStream {
    return fs.createReadStream(this.resolve(relPath));
  }

  /** Lists one directory level; paths are relative to `relDir` (MLflow's artifact-proxy shape). */
  async list(relDir: string): Promise<FileInfo[]> {
    const full = relDir ? this.resolve(relDir) : this.root;
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(full, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: FileInfo[] = [];
    for (const e of entries) {
      if (isTemporaryName(e.name)) continue; // an upload in progress
      if (e.isSymbolicLink()) continue; // never follow links out of the root
      if (e.isDirectory()) out.push({ path: e.name, is_dir: true });
      else if (e.isFile()) {
        const st = await fsp.stat(path.join(full, e.name));
        out.push({ path: e.name, is_dir: false, file_size: st.size });
      }
    }
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  async delete(relPath: string): Promise<void> {
    if (!relPath) throw invalid('Refusing to delete the artifact root: name a path below it.');
    const full = this.resolve(relPath);
    const st = await fsp.lstat(full).catch(() => undefined);
    if (!st) throw notFound(`No such artifact: '${relPath}'.`);
    await fsp.rm(full, { recursive: true, force: true });
  }
}

/** Copies a local folder into the store (regular files and folders only; links are skipped). */
export async function importFolder(store: LocalArtifactStore, srcDir: string, relDest: string): Promise<number> {
  let count = 0;
  const walk = async (dir: string, rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const from = path.join(dir, e.name);
      const to = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(from, to);
      else if (e.isFile()) {
        await store.write(`${relDest}/${to}`, fs.createReadStream(from));
        count++;
      }
    }
  };
  await walk(srcDir, '');
  return count;
}

/** Copies a stored file or folder out of the store to a local path. */
export async function exportPath(store: LocalArtifactStore, rel: string, dest: string): Promise<'file' | 'folder'> {
  const src = store.resolve(rel);
  const st = await fsp.stat(src).catch(() => undefined);
  if (!st) throw notFound(`No such artifact: '${rel}'.`);
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  await fsp.cp(src, dest, { recursive: true, dereference: false, filter: (s) => !path.basename(s).startsWith('.stratus-') });
  return st.isDirectory() ? 'folder' : 'file';
}
