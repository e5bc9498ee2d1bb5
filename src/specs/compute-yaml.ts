/**
 * Compute YAML as `az ml compute create --file` takes it: `amlcompute` (a pool that runs jobs)
 * and `computeinstance` (a Jupyter server with kernels). Keys Azure ML accepts that change
 * nothing on this host (networking, SSH, identity, VM images) are warnings that say so; any
 * other unknown key is an error with the nearest known one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { YamlSource } from './yaml-source.ts';
import type { z } from 'zod';
import type { CreateCompute } from './assets.ts';

type ComputeBody = z.input<typeof CreateCompute>;

const COMMON = ['$schema', 'name', 'type', 'description', 'tags', 'size', 'location'];
const POOL_KEYS = [...COMMON, 'min_instances', 'max_instances', 'idle_time_before_scale_down', 'tier'];
const SPARK_KEYS = [...COMMON, 'workers', 'worker_cores', 'worker_memory', 'spark_conf', 'idle_time_before_shutdown_minutes', 'schedules', 'max_instances', 'master_host', 'master_url', 'master_web_ui'];
const INSTANCE_KEYS = [...COMMON, 'idle_time_before_shutdown_minutes', 'idle_time_before_shutdown', 'kernel_idle_timeout_minutes', 'schedules', 'setup_scripts', 'environment', 'create_on_behalf_of'];

const NOT_APPLIED: Record<string, string> = {
  ssh_public_access_enabled: 'Jupyter is reached through the workspace, not over SSH',
  ssh_settings: 'Jupyter is reached through the workspace, not over SSH',
  admin_username: 'there is no VM to log in to',
  admin_password: 'there is no VM to log in to',
  network_settings: 'compute runs on this host, on 127.0.0.1',
  enable_node_public_ip: 'compute runs on this host, on 127.0.0.1',
  identity: 'compute runs as the workspace\'s own user',
  enable_sso: 'the workspace\'s own authentication is used',
  enable_root_access: 'compute runs as the workspace\'s own user',
  custom_applications: 'only Jupyter and JupyterLab are served',
  os_image_metadata: 'there is no VM image',
  enable_os_patching: 'there is no VM image',
  release_quota_on_stop: 'there is no quota',
  location: 'compute runs on this host',
};

/** Reads a compute YAML file into the REST body `compute create` sends; `warnings` says what is not applied. */
export function readComputeYaml(file: string): { body: ComputeBody; warnings: string[] } {
  const src = YamlSource.read(file);
  const d = src.data as Record<string, unknown>;
  const type = d.type === undefined ? 'amlcompute' : String(d.type);
  if (!['amlcompute', 'computeinstance', 'spark'].includes(type)) {
    throw src.error(['type'], `'${type}' computes are not supported here; use amlcompute (a local pool that runs jobs), computeinstance (Jupyter) or spark (a Spark cluster).`);
  }
  const notApplied = { ...NOT_APPLIED };
  delete notApplied.location;
  const warnings = src.checkKeys([], d, type === 'computeinstance' ? INSTANCE_KEYS : type === 'spark' ? SPARK_KEYS : POOL_KEYS, notApplied);
  if (d.location !== undefined) warnings.push(`${file}:${src.lineOf(['location'])}: 'location' is accepted but not applied: compute runs on this host.`);
  if (type === 'amlcompute' && (d.min_instances !== undefined || d.idle_time_before_scale_down !== undefined || d.tier !== undefined)) {
    warnings.push(`${file}: 'min_instances', 'idle_time_before_scale_down' and 'tier' are accepted but not applied: a local pool has no nodes to scale.`);
  }
  const body: ComputeBody = { name: String(d.name ?? ''), type: type as ComputeBody['type'] };
  if (d.description !== undefined) body.description = String(d.description);
  if (d.tags !== undefined) body.tags = d.tags as Record<string, string>;
  if (d.size !== undefined) body.size = String(d.size);
  if (type === 'amlcompute') {
    if (d.max_instances !== undefined) body.max_instances = Number(d.max_instances);
    return { body, warnings };
  }
  if (type === 'spark') {
    if (d.max_instances !== undefined) body.max_instances = Number(d.max_instances);
    if (d.workers !== undefined) body.workers = Number(d.workers);
    if (d.worker_cores !== undefined) body.worker_cores = Number(d.worker_cores);
    if (d.worker_memory !== undefined) body.worker_memory = String(d.worker_memory);
    if (d.spark_conf !== undefined) body.spark_conf = Object.fromEntries(Object.entries(d.spark_conf as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    if (d.idle_time_before_shutdown_minutes !== undefined) body.idle_time_before_shutdown_minutes = Number(d.idle_time_before_shutdown_minutes);
    if (d.schedules !== undefined) body.schedules = d.schedules as ComputeBody['schedules'];
    for (const k of ['master_host', 'master_url', 'master_web_ui'] as const) if (d[k] !== undefined) body[k] = String(d[k]);
    return { body, warnings };
  }
  // Azure's SDK spells it two ways (minutes in YAML, an ISO duration in newer schemas' `idle_time_before_shutdown`).
  const idle = d.idle_time_before_shutdown_minutes ?? isoMinutes(src, d.idle_time_before_shutdown);
  if (idle !== undefined) body.idle_time_before_shutdown_minutes = Number(idle);
  if (d.environment !== undefined) body.environment = String(d.environment);
  if (d.kernel_idle_timeout_minutes !== undefined) body.kernel_idle_timeout_minutes = Number(d.kernel_idle_timeout_minutes);
  if (d.create_on_behalf_of !== undefined) {
    warnings.push(...src.checkKeys(['create_on_behalf_of'], d.create_on_behalf_of, ['user_object_id'], { user_tenant_id: 'one workspace has one set of users' }));
    const onBehalf = d.create_on_behalf_of as { user_object_id?: unknown };
    if (typeof onBehalf.user_object_id !== 'string') throw src.error(['create_on_behalf_of', 'user_object_id'], 'expected the name of the user the instance is assigned to.');
    body.create_on_behalf_of = { user_object_id: onBehalf.user_object_id };
  }
  if (d.schedules !== undefined) {
    warnings.push(...src.checkKeys(['schedules'], d.schedules, ['compute_start_stop']));
    const list = (d.schedules as { compute_start_stop?: unknown }).compute_start_stop;
    if (list !== undefined && !Array.isArray(list)) throw src.error(['schedules', 'compute_start_stop'], 'expected a list of {action, trigger}.');
    body.schedules = { compute_start_stop: ((list ?? []) as Record<string, unknown>[]).map((s, i) => {
      warnings.push(...src.checkKeys(['schedules', 'compute_start_stop', i], s, ['action', 'trigger', 'state']));
      return s as NonNullable<ComputeBody['schedules']>['compute_start_stop'][number];
    }) };
  }
  if (d.setup_scripts !== undefined) {
    warnings.push(...src.checkKeys(['setup_scripts'], d.setup_scripts, ['creation_script', 'startup_script']));
    const scripts = d.setup_scripts as Record<string, Record<string, unknown> | undefined>;
    body.setup_scripts = {};
    for (const when of ['creation_script', 'startup_script'] as const) {
      const s = scripts[when];
      if (!s) continue;
      warnings.push(...src.checkKeys(['setup_scripts', when], s, ['path', 'command', 'timeout_minutes']));
      // A script file is sent with the spec (its path is relative to the YAML); `command` runs as given.
      const script = s.path === undefined ? undefined : readScript(src, path.resolve(path.dirname(file), String(s.path)), ['setup_scripts', when, 'path']);
      body.setup_scripts[when] = { script, command: s.command === undefined ? undefined : String(s.command), timeout_minutes: s.timeout_minutes === undefined ? undefined : Number(s.timeout_minutes) };
    }
  }
  return { body, warnings };
}

/** `PT30M` → 30. */
function isoMinutes(src: YamlSource, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(String(value));
  if (!m || (!m[1] && !m[2])) throw src.error(['idle_time_before_shutdown'], `expected an ISO 8601 duration such as PT30M, got '${value}'.`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

function readScript(src: YamlSource, file: string, where: string[]): string {
  try {
    const stat = fs.statSync(file);
    if (stat.size > 256 * 1024) throw src.error(where, `${file} is ${stat.size} bytes; a setup script is at most 256 KB.`);
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw src.error(where, `no such script: ${file}.`);
    throw err;
  }
}
