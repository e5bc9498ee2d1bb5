/** Registered environments: versioned, immutable conda specs (Azure ML's environment assets). */
import type { Db } from '../store/db.ts';
import { alreadyExists, invalid } from '../util/errors.ts';
import { readCondaSpec, type PythonEnvSpec } from '../environments/conda.ts';
import { validateNameVersion, VersionedTable } from './versioned.ts';

interface EnvironmentRow {
  name: string; version: string; image: string | null; conda: string | null; description: string | null; tags: string;
  created_at: number; archived: number;
}

export interface EnvironmentInput {
  name: string;
  version?: string;
  image?: string;
  conda?: string;
  description?: string;
  tags?: Record<string, string>;
}

export class EnvironmentAssetService {
  private table: VersionedTable<EnvironmentRow>;
  constructor(private db: Db) {
    this.table = new VersionedTable(db, 'environments', 'environment', 'environment');
  }

  async create(input: EnvironmentInput) {
    validateNameVersion('environment', input.name, input.version);
    if (!input.conda && !input.image) throw invalid(`Environment '${input.name}' needs an image, a conda_file, or both.`);
    if (input.conda) readCondaSpec(input.conda, `conda file of environment '${input.name}'`);
    const version = await this.db.tx(async (t) => {
      await t.lock(`environment:${input.name}`);
      const version = input.version ?? (await this.table.nextVersion(t, input.name));
      if (await t.get('SELECT 1 AS x FROM environments WHERE name = ? AND version = ?', [input.name, version])) {
        throw alreadyExists(`Environment ${input.name}:${version} already exists and is immutable: create a new version.`);
      }
      await t.run(
        'INSERT INTO environments (name, version, image, conda, description, tags, created_at, archived) VALUES (?, ?, ?, ?, ?, ?, ?, 0)',
        [input.name, version, input.image ?? null, input.conda ?? null, input.description ?? null, JSON.stringify(input.tags ?? {}), Date.now()],
      );
      return version;
    });
    return this.show(input.name, version);
  }

  /** The Python spec a job builds for `azureml:<name>:<version>` or `@latest`. */
  async pythonSpec(name: string, version?: string, label?: string): Promise<PythonEnvSpec | undefined> {
    const row = await this.table.resolve(name, version, label);
    return row.conda ? readCondaSpec(row.conda, `conda file of environment '${name}:${row.version}'`) : undefined;
  }

  async show(name: string, version?: string, label?: string) {
    return toJson(await this.table.resolve(name, version, label));
  }

  async list(name?: string) {
    return (await this.table.list(name)).map(toJson);
  }

  async archive(name: string, version: string) {
    await this.table.archive(name, version);
    return this.show(name, version);
  }
}

function toJson(r: EnvironmentRow) {
  return {
    name: r.name,
    version: r.version,
    id: `azureml:${r.name}:${r.version}`,
    image: r.image ?? undefined,
    conda_file: r.conda ?? undefined,
    description: r.description ?? undefined,
    tags: JSON.parse(r.tags),
    creation_context: { created_at: new Date(Number(r.created_at)).toISOString() },
    archived: !!Number(r.archived),
  };
}
