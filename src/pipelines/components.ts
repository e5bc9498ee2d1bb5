/**
 * Registered components (`stratus component create`): versioned and immutable — the same
 * name:version with different content is refused, the same content is answered as it is.
 * Pipelines name them as `azureml:<name>:<version>` or `@latest`.
 */
import { completeMarker } from '../artifacts/layout.ts';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Db } from '../store/db.ts';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { alreadyExists, invalid } from '../util/errors.ts';
import { validateNameVersion, VersionedTable } from '../assets/versioned.ts';
import { checkComponentGraph, formatProblems } from '../specs/pipeline-graph.ts';
import { isRef, type ComponentSpec, type StepSpec } from '../specs/pipeline-types.ts';

interface ComponentRow {
  name: string; version: string; spec: string; digest: string; description: string | null; tags: string; created_at: number; archived: number;
}

export const digestOf = (value: unknown) => crypto.createHash('sha256').update(JSON.stringify(value)).digest('hex');

export class ComponentService {
  private table: VersionedTable<ComponentRow>;
  constructor(private db: Db, private artifacts: LocalArtifactStore) {
    this.table = new VersionedTable(db, 'components', 'component', 'component');
  }

  async create(spec: ComponentSpec) {
    if (!spec || typeof spec !== 'object' || (spec.type !== 'command' && spec.type !== 'pipeline')) {
      throw invalid('Send a component spec with type command or pipeline (stratus component create --file component.yml builds it).');
    }
    const name = spec.name;
    if (!name) throw invalid("A component needs 'name'.");
    validateNameVersion('component', name, spec.version);
    const resolved = await this.resolveComponent(spec);
    if (resolved.type === 'pipeline') {
      const problems = checkComponentGraph(resolved);
      if (problems.length) throw invalid(`Component '${spec.name}' has an invalid graph:\n${formatProblems(problems)}`);
    }
    const version = await this.db.tx(async (t) => {
      await t.lock(`component:${name}`);
      const version = spec.version ?? (await this.table.nextVersion(t, name));
      const stored = { ...resolved, version };
      const digest = digestOf(stored);
      const existing = await t.get<ComponentRow>('SELECT * FROM components WHERE name = ? AND version = ?', [name, version]);
      if (existing) {
        if (existing.digest === digest) return version;
        throw alreadyExists(`Component ${name}:${version} already exists with different content, and components are immutable: give it a new version.`);
      }
      await t.run('INSERT INTO components (name, version, spec, digest, description, tags, created_at, archived) VALUES (?, ?, ?, ?, ?, ?, ?, 0)',
        [name, version, JSON.stringify(stored), digest, spec.description ?? null, JSON.stringify(spec.tags ?? {}), Date.now()]);
      return version;
    });
    return this.show(name, version);
  }

  /** The stored spec for `azureml:name:version` / `azureml:name@latest`. */
  async fromRef(ref: string): Promise<ComponentSpec> {
    const m = /^azureml:([A-Za-z0-9][\w.-]*?)(?::([\w.-]+)|@([\w.-]+))?$/.exec(ref);
    if (!m) throw invalid(`Cannot read component '${ref}': use azureml:<name>:<version> or azureml:<name>@latest.`);
    const row = await this.table.resolve(m[1], m[2], m[3] ?? (m[2] ? undefined : 'latest'));
    return JSON.parse(row.spec) as ComponentSpec;
  }

  /** Replaces registered references in a step graph by the components they name; checks code was uploaded. */
  async resolveSteps(jobs: Record<string, StepSpec>): Promise<Record<string, StepSpec>> {
    const out: Record<string, StepSpec> = {};
    for (const [name, step] of Object.entries(jobs)) {
      const component = isRef(step.component) ? await this.fromRef(step.component.ref) : await this.resolveComponent(step.component);
      out[name] = { ...step, component };
    }
    return out;
  }

  private async resolveComponent(spec: ComponentSpec): Promise<ComponentSpec> {
    if (spec.code && !fs.existsSync(this.artifacts.resolve(completeMarker('snapshots', spec.code)))) {
      throw invalid(`Code snapshot ${spec.code} of component '${spec.name ?? 'inline'}' has not been uploaded completely. Submit it again with the stratus CLI.`);
    }
    if (spec.type === 'pipeline') return { ...spec, jobs: await this.resolveSteps(spec.jobs ?? {}) };
    return spec;
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

function toJson(r: ComponentRow) {
  const spec = JSON.parse(r.spec) as ComponentSpec;
  return {
    name: r.name,
    version: r.version,
    id: `azureml:${r.name}:${r.version}`,
    type: spec.type,
    display_name: spec.display_name,
    description: r.description ?? undefined,
    tags: JSON.parse(r.tags),
    inputs: spec.inputs,
    outputs: spec.outputs,
    command: spec.command,
    code: spec.code ? `snapshot:${spec.code}` : undefined,
    environment: spec.environment,
    is_deterministic: spec.is_deterministic,
    jobs: spec.jobs ? Object.keys(spec.jobs) : undefined,
    creation_context: { created_at: new Date(Number(r.created_at)).toISOString() },
    archived: !!Number(r.archived),
  };
}
