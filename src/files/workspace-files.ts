/**
 * The workspace file share: notebooks, scripts and data that compute instances see as their
 * Jupyter root and that the CLI and the studio browse (`Users/<user>/…`, as Azure ML shows it).
 * It is an ordinary folder behind the same confinement and atomic writes as the artifact store;
 * a notebook is checked against nbformat v4 before it replaces anything.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { LocalArtifactStore, type FileInfo } from '../artifacts/local-store.ts';
import { checkNotebook } from '../specs/notebook.ts';
import { invalid, notFound } from '../util/errors.ts';
import { currentActor } from '../util/actor.ts';
import type { Authorship, FileAuthors } from './file-authors.ts';

/** Notebooks are read whole to be checked; larger ones belong in data assets. */
const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

/** How errors name a file area and how to list it (the share, or a datastore). */
export interface FilesLabel { where: string; listHint: string }

export class WorkspaceFiles {
  private store: LocalArtifactStore;

  constructor(readonly root: string, private label: FilesLabel = { where: 'the share', listHint: 'stratus file list' }, readonly authors?: FileAuthors) {
    this.store = new LocalArtifactStore(root);
  }

  /** A folder's entries, with who created and last changed each (where the API wrote it). */
  async list(dir: string): Promise<(FileInfo & Authorship)[]> {
    const folder = dir.replace(/\/+$/, '');
    const entries = await this.store.list(folder);
    // Entries are named within the folder; authorship is kept by whole path.
    const full = (e: FileInfo) => (folder ? `${folder}/${e.path}` : e.path);
    const by = this.authors ? await this.authors.of(entries.map(full)) : new Map<string, Authorship>();
    return entries.map((e) => ({ ...e, ...by.get(full(e)) }));
  }

  stat(file: string) {
    return this.store.stat(file).catch((err) => {
      if ((err as { code?: string }).code === 'RESOURCE_DOES_NOT_EXIST') throw notFound(`No such file or folder in ${this.label.where}: '${file}'. List them with: ${this.label.listHint}`);
      throw err;
    });
  }

  openRead(file: string) {
    return this.store.openRead(file);
  }

  async write(file: string, body: Readable): Promise<{ path: string; size: number }> {
    if (!file || file.endsWith('/')) throw invalid('Name a file to write, e.g. Users/me/notebook.ipynb.');
    if (file.toLowerCase().endsWith('.ipynb')) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += (chunk as Buffer).length;
        if (size > MAX_NOTEBOOK_BYTES) throw invalid(`${file}: a notebook is at most ${MAX_NOTEBOOK_BYTES / 1024 / 1024} MB; keep large data in data assets.`);
        chunks.push(chunk as Buffer);
      }
      const bytes = Buffer.concat(chunks);
      checkNotebook(bytes.toString('utf8'), file);
      body = Readable.from([bytes]);
    }
    await this.store.write(file, body);
    await this.authors?.wrote(file, currentActor());
    return { path: file, size: (await this.store.stat(file)).size };
  }

  /** Renames a file or folder within the share; an existing target is never replaced. */
  async rename(from: string, to: string): Promise<{ path: string }> {
    await this.stat(from);
    if (!to || to.endsWith('/')) throw invalid('Name the new path, e.g. Users/me/renamed.ipynb.');
    const target = this.store.resolve(to);
    if (await this.store.stat(to).then(() => true, () => false)) throw invalid(`'${to}' already exists: choose another name or delete it first.`);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.rename(this.store.resolve(from), target);
    await this.authors?.renamed(from, to);
    return { path: to };
  }

  async delete(file: string): Promise<void> {
    if (!file.replace(/\/+$/, '')) throw invalid(`Refusing to delete the whole of ${this.label.where}: name a file or folder in it.`);
    if (!(await this.store.stat(file).then(() => true, () => false))) throw notFound(`No such file or folder in ${this.label.where}: '${file}'. List them with: ${this.label.listHint}`);
    await this.store.delete(file);
    await this.authors?.deleted(file.replace(/\/+$/, ''));
  }
}
