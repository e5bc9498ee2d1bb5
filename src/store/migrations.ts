/**
 * Versioned schema migrations, applied in order at start. Each migration runs in its own
 * transaction and is recorded in `schema_migrations`; the SQL is portable between SQLite and
 * PostgreSQL (integers as BIGINT, booleans as INTEGER 0/1, JSON as TEXT).
 */
import type { Db } from './db.ts';

interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'tracking and registry',
    statements: [
      `CREATE TABLE experiments (
        experiment_id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, artifact_location TEXT,
        lifecycle_stage TEXT NOT NULL, creation_time BIGINT, last_update_time BIGINT)`,
      `CREATE TABLE experiment_tags (
        experiment_id BIGINT NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (experiment_id, key))`,
      `CREATE TABLE runs (
        run_uuid TEXT PRIMARY KEY, name TEXT, user_id TEXT, status TEXT NOT NULL, start_time BIGINT,
        end_time BIGINT, lifecycle_stage TEXT NOT NULL, artifact_uri TEXT, experiment_id BIGINT NOT NULL,
        deleted_time BIGINT)`,
      `CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time)`,
      `CREATE TABLE metrics (
        run_uuid TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, is_nan INTEGER NOT NULL,
        timestamp BIGINT NOT NULL, step BIGINT NOT NULL, model_id TEXT, dataset_name TEXT, dataset_digest TEXT,
        PRIMARY KEY (run_uuid, key, step, timestamp, value, is_nan))`,
      `CREATE TABLE latest_metrics (
        run_uuid TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, is_nan INTEGER NOT NULL,
        timestamp BIGINT NOT NULL, step BIGINT NOT NULL, PRIMARY KEY (run_uuid, key))`,
      // Covering indexes: search filters read run ids straight from them.
      `CREATE INDEX latest_metrics_key_value ON latest_metrics (key, value, run_uuid, is_nan)`,
      `CREATE TABLE params (run_uuid TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_uuid, key))`,
      `CREATE INDEX params_key_value ON params (key, value, run_uuid)`,
      `CREATE TABLE tags (run_uuid TEXT NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (run_uuid, key))`,
      `CREATE INDEX tags_key_value ON tags (key, value, run_uuid)`,
      `CREATE TABLE datasets (
        dataset_uuid TEXT PRIMARY KEY, experiment_id BIGINT NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL,
        source_type TEXT, source TEXT, schema TEXT, profile TEXT, UNIQUE (experiment_id, name, digest))`,
      `CREATE TABLE run_dataset_inputs (
        run_uuid TEXT NOT NULL, dataset_uuid TEXT NOT NULL, tags TEXT NOT NULL, PRIMARY KEY (run_uuid, dataset_uuid))`,
      `CREATE TABLE run_model_inputs (run_uuid TEXT NOT NULL, model_id TEXT NOT NULL, PRIMARY KEY (run_uuid, model_id))`,
      `CREATE TABLE run_model_outputs (
        run_uuid TEXT NOT NULL, model_id TEXT NOT NULL, step BIGINT NOT NULL, PRIMARY KEY (run_uuid, model_id))`,
      `CREATE TABLE logged_models (
        model_id TEXT PRIMARY KEY, experiment_id BIGINT NOT NULL, name TEXT NOT NULL, artifact_location TEXT NOT NULL,
        creation_timestamp_ms BIGINT NOT NULL, last_updated_timestamp_ms BIGINT NOT NULL, status TEXT NOT NULL,
        lifecycle_stage TEXT NOT NULL, model_type TEXT, source_run_id TEXT, status_message TEXT)`,
      `CREATE INDEX logged_models_experiment ON logged_models (experiment_id, creation_timestamp_ms)`,
      `CREATE TABLE logged_model_params (model_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (model_id, key))`,
      `CREATE TABLE logged_model_tags (model_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (model_id, key))`,
      `CREATE TABLE logged_model_metrics (
        model_id TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, is_nan INTEGER NOT NULL,
        timestamp BIGINT NOT NULL, step BIGINT NOT NULL, run_id TEXT NOT NULL, dataset_name TEXT, dataset_digest TEXT,
        PRIMARY KEY (model_id, key, step, timestamp, run_id))`,
      `CREATE TABLE registered_models (
        name TEXT PRIMARY KEY, creation_time BIGINT NOT NULL, last_updated_time BIGINT NOT NULL, description TEXT)`,
      `CREATE TABLE registered_model_tags (name TEXT NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (name, key))`,
      `CREATE TABLE registered_model_aliases (
        name TEXT NOT NULL, alias TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (name, alias))`,
      `CREATE TABLE model_versions (
        name TEXT NOT NULL, version BIGINT NOT NULL, creation_time BIGINT NOT NULL, last_updated_time BIGINT NOT NULL,
        description TEXT, user_id TEXT, current_stage TEXT NOT NULL, source TEXT, run_id TEXT, run_link TEXT,
        status TEXT NOT NULL, status_message TEXT, storage_location TEXT, model_id TEXT, PRIMARY KEY (name, version))`,
      `CREATE TABLE model_version_tags (
        name TEXT NOT NULL, version BIGINT NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY (name, version, key))`,
    ],
  },
  {
    version: 2,
    name: 'jobs and computes',
    statements: [
      `CREATE TABLE computes (
        name TEXT PRIMARY KEY, type TEXT NOT NULL, max_instances INTEGER NOT NULL, description TEXT, created_at BIGINT NOT NULL)`,
      `CREATE TABLE jobs (
        name TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL, experiment_id BIGINT NOT NULL, run_id TEXT NOT NULL,
        display_name TEXT, description TEXT, compute TEXT NOT NULL, spec TEXT NOT NULL, tags TEXT NOT NULL,
        created_at BIGINT NOT NULL, started_at BIGINT, ended_at BIGINT, error TEXT, pid INTEGER, environment_hash TEXT)`,
      `CREATE INDEX jobs_status ON jobs (status)`,
      `CREATE INDEX jobs_created ON jobs (created_at)`,
    ],
  },
  {
    version: 3,
    name: 'environment and data assets',
    statements: [
      `CREATE TABLE environments (
        name TEXT NOT NULL, version TEXT NOT NULL, image TEXT, conda TEXT, description TEXT, tags TEXT NOT NULL,
        created_at BIGINT NOT NULL, archived INTEGER NOT NULL, PRIMARY KEY (name, version))`,
      `CREATE TABLE data_assets (
        name TEXT NOT NULL, version TEXT NOT NULL, type TEXT NOT NULL, path TEXT NOT NULL, description TEXT, tags TEXT NOT NULL,
        created_at BIGINT NOT NULL, archived INTEGER NOT NULL, PRIMARY KEY (name, version))`,
    ],
  },
  {
    version: 4,
    name: 'online endpoints',
    statements: [
      `CREATE TABLE online_endpoints (
        name TEXT PRIMARY KEY, auth_mode TEXT NOT NULL, keys TEXT NOT NULL, traffic TEXT NOT NULL, mirror_traffic TEXT NOT NULL,
        description TEXT, tags TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE TABLE online_deployments (
        endpoint TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, provisioning_state TEXT NOT NULL, error TEXT,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (endpoint, name))`,
    ],
  },
  {
    version: 5,
    name: 'components, pipelines, sweeps and schedules',
    statements: [
      `CREATE TABLE components (
        name TEXT NOT NULL, version TEXT NOT NULL, spec TEXT NOT NULL, digest TEXT NOT NULL, description TEXT, tags TEXT NOT NULL,
        created_at BIGINT NOT NULL, archived INTEGER NOT NULL, PRIMARY KEY (name, version))`,
      // A step or trial is a job whose parent_job is its pipeline or sweep; step reuse finds an
      // earlier Completed job by reuse_hash; step_info says how the child came to be (reused or why
      // not, or a trial's parameters); outputs_map says where a reused or composite job's outputs are.
      `ALTER TABLE jobs ADD COLUMN parent_job TEXT`,
      `ALTER TABLE jobs ADD COLUMN step_name TEXT`,
      `ALTER TABLE jobs ADD COLUMN reuse_hash TEXT`,
      `ALTER TABLE jobs ADD COLUMN step_key TEXT`,
      `ALTER TABLE jobs ADD COLUMN step_info TEXT`,
      `ALTER TABLE jobs ADD COLUMN outputs_map TEXT`,
      `CREATE INDEX jobs_parent ON jobs (parent_job, step_name)`,
      `CREATE INDEX jobs_reuse ON jobs (reuse_hash, status)`,
      `CREATE INDEX jobs_step_key ON jobs (step_key, status)`,
      `CREATE TABLE schedules (
        name TEXT PRIMARY KEY, spec TEXT NOT NULL, enabled INTEGER NOT NULL, next_fire_at BIGINT, description TEXT, tags TEXT NOT NULL,
        created_at BIGINT NOT NULL)`,
      // One row per fired (or knowingly skipped) slot: the primary key is what prevents double-firing.
      `CREATE TABLE schedule_fires (
        schedule TEXT NOT NULL, slot BIGINT NOT NULL, job_name TEXT, outcome TEXT NOT NULL, fired_at BIGINT NOT NULL,
        PRIMARY KEY (schedule, slot))`,
    ],
  },
  {
    version: 6,
    name: 'deployments remember whether their stored spec has served',
    statements: [
      // 1 once the stored spec has served: a failed update then leaves it serving (and a restart brings it back).
      `ALTER TABLE online_deployments ADD COLUMN served INTEGER NOT NULL DEFAULT 0`,
      `UPDATE online_deployments SET served = 1 WHERE provisioning_state = 'Succeeded'`,
    ],
  },
  {
    version: 7,
    name: 'compute instances',
    statements: [
      // One row per compute instance (its `computes` row holds name and type): the settings it was
      // created with, its state and why, and the Jupyter process it runs now (pid, port, token,
      // and the marker its processes carry); setup_done once the creation script has run.
      `CREATE TABLE compute_instances (
        name TEXT PRIMARY KEY, settings TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, pid INTEGER, port INTEGER, token TEXT,
        marker TEXT, started_at BIGINT, created_at BIGINT NOT NULL, setup_done INTEGER NOT NULL DEFAULT 0)`,
      `ALTER TABLE computes ADD COLUMN tags TEXT`,
      `ALTER TABLE computes ADD COLUMN size TEXT`,
    ],
  },
  {
    version: 8,
    name: 'managed computes (compute instances, Spark clusters) and Livy batches',
    statements: [
      // The same life for every compute Stratus runs processes for; `type` picks its runtime.
      `ALTER TABLE compute_instances RENAME TO managed_computes`,
      `ALTER TABLE managed_computes ADD COLUMN type TEXT NOT NULL DEFAULT 'computeinstance'`,
      // What the runtime needs to find its processes again (a Spark master's web UI port).
      `ALTER TABLE managed_computes ADD COLUMN info TEXT`,
      // Livy batch ids are small integers; each is one spark job.
      `CREATE TABLE livy_batches (id BIGINT PRIMARY KEY, job_name TEXT NOT NULL, created_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 9,
    name: 'Databricks run ids',
    statements: [
      // A submitted run (one job, or a pipeline job for a multi-task run) and each of its tasks has a numeric run id.
      `CREATE TABLE databricks_runs (run_id BIGINT PRIMARY KEY, job_name TEXT NOT NULL, task_key TEXT, created_at BIGINT NOT NULL)`,
      `CREATE INDEX databricks_runs_job ON databricks_runs (job_name)`,
    ],
  },
  {
    version: 10,
    name: 'batch endpoints',
    statements: [
      `CREATE TABLE batch_endpoints (name TEXT PRIMARY KEY, spec TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE TABLE batch_deployments (endpoint TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (endpoint, name))`,
    ],
  },
  {
    version: 11,
    name: 'batch endpoint keys',
    // Endpoints made before keys existed get theirs on first use (keys IS NULL).
    statements: [`ALTER TABLE batch_endpoints ADD COLUMN keys TEXT`],
  },
  {
    version: 12,
    name: 'users, groups, roles, tokens, sessions, audit log, MLflow permissions, creators',
    statements: [
      `CREATE TABLE users (
        id BIGINT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT, display_name TEXT, is_admin INTEGER NOT NULL,
        created_at BIGINT NOT NULL, created_by TEXT)`,
      `CREATE TABLE user_groups (name TEXT PRIMARY KEY, description TEXT, created_at BIGINT NOT NULL)`,
      `CREATE TABLE group_members (group_name TEXT NOT NULL, username TEXT NOT NULL, PRIMARY KEY (group_name, username))`,
      // principal_type: user | group; role: Azure ML's role names.
      `CREATE TABLE role_assignments (principal_type TEXT NOT NULL, principal TEXT NOT NULL, role TEXT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (principal_type, principal, role))`,
      // Personal access tokens: the secret is kept only as its SHA-256 (it is random, 32 bytes).
      `CREATE TABLE access_tokens (
        id TEXT PRIMARY KEY, username TEXT NOT NULL, name TEXT NOT NULL, secret_hash TEXT NOT NULL, created_at BIGINT NOT NULL,
        expires_at BIGINT, revoked_at BIGINT, last_used_at BIGINT)`,
      `CREATE INDEX access_tokens_user ON access_tokens (username)`,
      `CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
      `CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, username TEXT, action TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL,
        target TEXT, status INTEGER NOT NULL, outcome TEXT NOT NULL, ip TEXT, detail TEXT)`,
      `CREATE INDEX audit_log_at ON audit_log (at)`,
      `CREATE TABLE experiment_permissions (experiment_id TEXT NOT NULL, username TEXT NOT NULL, permission TEXT NOT NULL, PRIMARY KEY (experiment_id, username))`,
      `CREATE TABLE registered_model_permissions (name TEXT NOT NULL, username TEXT NOT NULL, permission TEXT NOT NULL, PRIMARY KEY (name, username))`,
      `ALTER TABLE jobs ADD COLUMN created_by TEXT`,
      `ALTER TABLE online_endpoints ADD COLUMN created_by TEXT`,
      `ALTER TABLE batch_endpoints ADD COLUMN created_by TEXT`,
      `ALTER TABLE registered_models ADD COLUMN created_by TEXT`,
      `ALTER TABLE computes ADD COLUMN created_by TEXT`,
      // Who created and last changed files of the share (notebooks) through the API.
      `CREATE TABLE file_authors (area TEXT NOT NULL, path TEXT NOT NULL, created_by TEXT, created_at BIGINT NOT NULL, modified_by TEXT, modified_at BIGINT NOT NULL,
        PRIMARY KEY (area, path))`,
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export async function migrate(db: Db): Promise<number[]> {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  const done = new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    await db.tx(async (t) => {
      for (const sql of m.statements) await t.run(sql);
      await t.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
    });
    applied.push(m.version);
  }
  return applied;
}
