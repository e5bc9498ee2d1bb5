/**
 * MLflow's per-resource permissions on the tracking and registry routes, as MLflow's auth app
 * applies them: the experiment a request names (by experiment_id, a run's or logged model's id, or
 * the experiment's name) or the registered model (by name) must grant the principal what the route does — READ to
 * read, EDIT to change, MANAGE to delete. Admins and the jobs' own credential are not checked;
 * requests that name no existing resource (creating one) get the workspace role's answer alone.
 * Searches are not refused: they answer with what the caller may read (RequestContext.visible),
 * and a run search drops the experiments it may not read, as MLflow's does. Bulk metric reads need
 * READ on every run's experiment; the artifact proxy's paths are checked against the experiment
 * whose artifact folder holds them (read, EDIT to upload, MANAGE to delete).
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../access/authenticator.ts';
import type { Action } from '../access/roles.ts';
import { allows, type MlflowPermissions, type Need, type ResourceType } from '../access/mlflow-permissions.ts';
import type { Db } from '../store/db.ts';
import type { ExperimentService } from '../tracking/experiments.ts';
import { storeSegments } from '../artifacts/uri-policy.ts';
import { StratusError } from '../util/errors.ts';
import { requestArgs } from './mlflow/request.ts';

const SEARCHES = /\/(experiments|runs|registered-models|model-versions)\/search$/;
const DELETES = /\/(experiments|runs|registered-models|model-versions)\/delete$/;

function needOf(method: string, url: string, action: Action): Need {
  if (action.verb === 'read') return 'read';
  return DELETES.test(url) || (method === 'DELETE' && url.startsWith(ARTIFACT_PROXY)) ? 'delete' : 'update';
}

const ARTIFACT_PROXY = '/api/2.0/mlflow-artifacts/';
/** Runs one request may name (GetMetricHistoryBulk allows 100; MLflow checks them all, so do we, up to a bound). */
const MAX_RUNS_NAMED = 1000;

const one = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

type ExperimentOfRun = (run: string) => Promise<string | undefined>;

/** A run's experiment never changes: remembered (bounded) so log-metric does not look it up on every call. */
function runExperiments(db: Db): ExperimentOfRun {
  const known = new Map<string, string>();
  return async (run) => {
    const hit = known.get(run);
    if (hit !== undefined) return hit;
    const row = await db.get<{ experiment_id: number }>('SELECT experiment_id FROM runs WHERE run_uuid = ?', [run]);
    if (!row) return undefined;
    if (known.size > 100_000) known.clear();
    known.set(run, String(row.experiment_id));
    return String(row.experiment_id);
  };
}

/** The experiments a tracking request names. */
async function experimentsOf(db: Db, experimentOfRun: ExperimentOfRun, args: Record<string, unknown>, url: string): Promise<string[]> {
  if (/\/experiments\/create$/.test(url)) return [];
  const ids = new Set<string>();
  const id = one(args.experiment_id);
  if (id !== undefined) ids.add(id);
  if (Array.isArray(args.experiment_ids)) for (const e of args.experiment_ids) if (one(e) !== undefined) ids.add(one(e)!);
  // One run (run_id, run_uuid) or several (run_id repeated, run_ids): every one's experiment is checked.
  const runs = [args.run_id, args.run_uuid, args.run_ids].flatMap((v) => (Array.isArray(v) ? v : [v])).map(one).filter((r): r is string => r !== undefined);
  if (runs.length > MAX_RUNS_NAMED) throw new StratusError('INVALID_PARAMETER_VALUE', `A request may name at most ${MAX_RUNS_NAMED} runs; it named ${runs.length}.`);
  for (const run of new Set(runs)) {
    const experiment = await experimentOfRun(run);
    if (experiment !== undefined) ids.add(experiment);
  }
  // A logged model (MLflow 3) belongs to the experiment it was created in.
  const model = one(args.model_id);
  if (model !== undefined) {
    const row = await db.get<{ experiment_id: number }>('SELECT experiment_id FROM logged_models WHERE model_id = ?', [model]);
    if (row) ids.add(String(row.experiment_id));
  }
  if (/\/experiments\/get-by-name$/.test(url) && one(args.experiment_name)) {
    const row = await db.get<{ experiment_id: number }>('SELECT experiment_id FROM experiments WHERE name = ?', [one(args.experiment_name)!]);
    if (row) ids.add(String(row.experiment_id));
  }
  return [...ids];
}

/** The experiment whose artifact folder holds an artifact proxy path (the file's, or the folder listed), if any. */
async function experimentOfArtifact(experiments: ExperimentService, req: FastifyRequest): Promise<string | undefined> {
  const tail = (req.params as Record<string, string> | undefined)?.['*'] ?? one((requestArgs(req) as Record<string, unknown>).path) ?? '';
  const segments = storeSegments(tail);
  // The trailing segment makes a folder itself count as inside its experiment (listing `<experiment_id>`).
  return segments.length ? (await experiments.owningExperiment([...segments, '_']))?.experimentId : undefined;
}

export function mlflowPermissionCheck(db: Db, permissions: MlflowPermissions, experiments: ExperimentService) {
  const experimentOfRun = runExperiments(db);
  return async (req: FastifyRequest, principal: Principal, action: Action): Promise<void> => {
    if (principal.admin) return;
    const url = (req.routeOptions.url ?? '').replace(/^\/ajax-api\//, '/api/');
    const artifacts = url.startsWith(ARTIFACT_PROXY);
    if (!(url.startsWith('/api/2.0/mlflow/') || artifacts) || SEARCHES.test(url)) return;
    const args = requestArgs(req) as Record<string, unknown>;
    const need = needOf(req.method, url, action);
    const targets: [ResourceType, string][] = [];
    if (artifacts) {
      const experiment = await experimentOfArtifact(experiments, req);
      if (experiment !== undefined) targets.push(['experiment', experiment]);
    }
    if (action.area === 'experiments') for (const e of await experimentsOf(db, experimentOfRun, args, url)) targets.push(['experiment', e]);
    if (action.area === 'models' && !/\/registered-models\/create$/.test(url) && one(args.name)) targets.push(['registered_model', one(args.name)!]);
    for (const [type, id] of targets) {
      const p = await permissions.effective(type, id, principal.name);
      if (!allows(p, need)) {
        const label = type === 'experiment' ? `experiment ${id}` : `registered model '${id}'`;
        throw new StratusError('PERMISSION_DENIED', `Permission denied: '${principal.name}' has ${p} on ${label}; this request needs ${need === 'read' ? 'READ' : need === 'update' ? 'EDIT' : 'MANAGE'}. `
          + `Someone with MANAGE on it (or an admin) can grant it.`);
      }
    }
  };
}
