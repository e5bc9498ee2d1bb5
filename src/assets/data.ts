/**
 * Data assets: versioned, immutable references to files in the workspace store (local
 * uploads, or a job's named output), of type uri_file, uri_folder or mltable.
 */
import type { DatastoreService } from './datastores.ts';
import { uploadStorePath } from '../artifacts/layout.ts';
import type { Db } from '../store/db.ts';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { alreadyExists, invalid, notFound } from '../util/errors.ts';
import { validateNameVersion, VersionedTable } from './versioned.ts';
import { readMlTable } from '../specs/mltable.ts';

interface DataRow {
  name: string; version: string; type: string; path: string; description: string | null; tags: string; created_at: number; archived: number;
}

export const DATA_TYPES = ['uri_file', 'uri_folder', 'mltable'] as const;


export class DataAssetService {
  private table: VersionedTable<DataRow>;
  constructor(private db: Db, private store: LocalArtifactStore, private jobOutput: (job: string, output: string) => Promise<string>, private datastores: DatastoreService) {
    this.table = new VersionedTable(db, 'data_assets', 'data asset', 'data');
  }

  /** `path` is a store path (an upload), azureml://jobs/<job>/outputs/<name> or azureml://datastores/<name>/paths/<path> (referenced, as Azure ML does, not copied). */
  async create(input: { name: string; version?: string; type?: string; path: string; description?: string; tags?: Record<string, string> }) {
    validateNameVersion('data asset', input.name, input.version);
    const type = input.type ?? 'uri_folder';
    if (!(DATA_TYPES as readonly string[]).includes(type)) throw invalid(`Invalid data type '${type}': use uri_file, uri_folder or mltable.`);
    if (!input.path) throw invalid("A data asset needs 'path'.");
    let rel = input.path;
    const jobRef = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)$/.exec(rel);
    const inDatastore = this.datastores.storePath(rel);
    if (jobRef) rel = await this.jobOutput(jobRef[1], jobRef[2]);
    else if (inDatastore !== undefined) rel = inDatastore;
    else if (uploadStorePath(rel)) rel = uploadStorePath(rel)!;
    else throw invalid(`Unsupported data path '${input.path}': give a local path (stratus data create uploads it), azureml://jobs/<job>/outputs/<name> or azureml://datastores/<name>/paths/<path>.`);
    const st = await this.store.stat(rel).catch(() => {
      throw notFound(`Nothing was uploaded at '${input.path}'.`);
    });
    if (type === 'uri_file' && !st.isFile()) throw invalid(`A uri_file data asset must be a single file, but '${input.path}' is a folder. Use --type uri_folder.`);
    if (type !== 'uri_file' && !st.isDirectory()) throw invalid(`A ${type} data asset must be a folder, but '${input.path}' is a file. Use --type uri_file.`);
    if (type === 'mltable') readMlTable(this.store.resolve(rel));
    const version = await this.db.tx(async (t) => {
      await t.lock(`data:${input.name}`);
      const version = input.version ?? (await this.table.nextVersion(t, input.name));
      if (await t.get('SELECT 1 AS x FROM data_assets WHERE name = ? AND version = ?', [input.name, version])) {
        throw alreadyExists(`Data asset ${input.name}:${version} already exists and is immutable: create a new version.`);
      }
      await t.run('INSERT INTO data_assets (name, version, type, path, description, tags, created_at, archived) VALUES (?, ?, ?, ?, ?, ?, ?, 0)',
        [input.name, version, type, rel, input.description ?? null, JSON.stringify(input.tags ?? {}), Date.now()]);
      return version;
    });
    return this.show(input.name, version);
  }

  /** The store path of `azureml:<name>:<version>` / `azureml:<name>@latest`. */
  async storePath(name: string, version?: string, label?: string): Promise<{ path: string; type: string }> {
    const row = await this.table.resolve(name, version, label);
    return { path: row.path, type: row.type };
  }

  async show(name: string, version?: string, label?: string) {
    const row = await this.table.resolve(name, version, label);
    const json: Record<string, unknown> = toJson(row);
    if (row.type === 'mltable') json.mltable = readMlTable(this.store.resolve(row.path));
    return json;
  }

  async list(name?: string) {
    return (await this.table.list(name)).map(toJson);
  }

  /** The first rows and per-column statistics of the asset's table (the studio's preview). */
  async preview(name: string, version: string, rows = 20) {
    const row = await this.table.resolve(name, version);
    const { previewTable } = await import('./data-preview.ts');
    return previewTable(this.store.resolve(row.path), row.type, rows);
  }

  async archive(name: string, version: string) {
    await this.table.archive(name, version);
    return this.show(name, version);
  }
}

function toJson(r: DataRow) {
  return {
    name: r.name,
    version: r.version,
    id: `azureml:${r.name}:${r.version}`,
    type: r.type,
    path: `azureml://datastores/workspaceartifactstore/paths/${r.path}`,
    description: r.description ?? undefined,
    tags: JSON.parse(r.tags),
    creation_context: { created_at: new Date(Number(r.created_at)).toISOString() },
    archived: !!Number(r.archived),
  };
}
