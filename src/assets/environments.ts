/** Registered environments: versioned, immutable conda specs (Azure ML's environment assets). */
import type { Db } from '../store/db.ts';
import { alreadyExists, invalid, notFound, type StratusError } from '../util/errors.ts';
import { CURATED, CURATED_ABOUT, CURATED_AS_OF } from '../environments/curated.ts';
import { curatedName, type CuratedName } from '../specs/command-job.ts';
import { nearest } from '../util/nearest.ts';
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
    const curated = curatedName(name);
    if (curated) return CURATED[curated];
    const row = await this.table.resolve(name, version, label);
    return row.conda ? readCondaSpec(row.conda, `conda file of environment '${name}:${row.version}'`) : undefined;
  }

  /** A registered version, or a curated environment by any of its spellings (AzureML-sklearn-1.5, sklearn-1.5, azureml://registries/azureml/…). */
  async show(name: string, version?: string, label?: string) {
    const curated = curatedName(name);
    if (curated) return curatedJson(curated);
    try {
      return toJson(await this.table.resolve(name, version, label));
    } catch (err) {
      if ((err as StratusError).code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
      const names = [...new Set([...(await this.table.list()).map((r) => r.name), ...Object.values(CURATED_ABOUT).map((c) => c.displayName)])];
      const near = nearest(name, names);
      throw notFound(`${(err as Error).message}${near ? ` Did you mean '${near}'?` : ''} Curated environments: ${Object.values(CURATED_ABOUT).map((c) => c.displayName).join(', ')}.`);
    }
  }

  /** The registered versions, then the curated environments (as Azure's registry `azureml` lists them; each has `curated: true`). */
  async list(name?: string) {
    const registered = (await this.table.list(name)).map(toJson);
    const curated = (Object.keys(CURATED_ABOUT) as CuratedName[]).map(curatedJson).filter((c) => !name || c.name === name || curatedName(name) === curatedName(c.name));
    return [...registered, ...curated];
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

/** A curated environment as `environment show` prints it: its conda file is what Stratus builds, its notes where that differs from Azure's. */
function curatedJson(key: CuratedName) {
  const about = CURATED_ABOUT[key];
  const conda = ['name: ' + about.displayName, 'dependencies:', '  - python=3.11', '  - pip:', ...CURATED[key].requirements.map((r) => `    - ${r}`)].join('\n') + '\n';
  return {
    name: about.displayName,
    version: '1',
    id: `azureml://registries/azureml/environments/${about.displayName}/versions/1`,
    conda_file: conda,
    description: about.description,
    tags: { curated: 'true' },
    creation_context: { created_at: CURATED_AS_OF },
    archived: false,
    curated: true,
    notes: about.differences,
  };
}
