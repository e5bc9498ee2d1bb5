/**
 * The one place that says what each route does: its area of the workspace and its verb, decided
 * on the route the router matched (its registered URL, never the raw one). A route this table
 * does not know maps to nothing, and the gate then allows it to Owners only — a new route cannot
 * silently open; tests/access.test.ts fails for every route without a mapping.
 */
import type { Action, Area, Verb } from '../access/roles.ts';

/** Area by the registered URL (first match); `/ajax-api/` is read as `/api/`. */
const AREAS: [RegExp, Area][] = [
  [/^\/api\/v1\/(auth|tokens)(\/|$)/, 'self'],
  [/^\/api\/[23]\.0\/mlflow\/users\/(current|update-password)/, 'self'],
  [/^\/api\/v1\/(users|groups|role-assignments|roles|audit)(\/|$)/, 'access'],
  [/^\/api\/[23]\.0\/mlflow\/(users|roles|experiments\/permissions|registered-models\/permissions)(\/|$)/, 'access'],
  [/^\/api\/2\.0\/mlflow-artifacts\//, 'artifacts'],
  [/^\/api\/2\.0\/mlflow\/(experiments|runs|metrics|logged-models|artifacts)(\/|$)/, 'experiments'],
  [/^\/api\/2\.0\/mlflow\/(registered-models|model-versions)(\/|$)/, 'models'],
  [/^\/api\/v1\/(jobs|schedules|snapshots)(\/|$)/, 'jobs'],
  [/^\/api\/v1\/(data|environments|components|datastores)(\/|$)/, 'assets'],
  [/^\/api\/v1\/models(\/|$)/, 'models'],
  [/^\/api\/v1\/(online-endpoints|batch-endpoints)(\/|$)/, 'endpoints'],
  [/^\/api\/v1\/computes(\/|$)/, 'computes'],
  [/^\/computes\/:name\/spark-ui/, 'computes'],
  [/^\/api\/2\.[0-2]\/clusters\//, 'computes'],
  [/^\/api\/v1\/sql(\/|$)/, 'sql'],
  [/^\/api\/v1\/files(\/|$)/, 'files'],
  [/^\/compute-instances\/:name\/jupyter/, 'notebooks'],
  [/^\/livy(\/|$)/, 'spark'],
  [/^\/api\/2\.[0-2]\/jobs\/runs\//, 'spark'],
  [/^\/(version|api\/v1\/openapi\.json)$/, 'workspace'],
];

/** POST routes that only read (searches, validation). */
const READING_POSTS = [
  /\/mlflow\/(experiments|runs|logged-models)\/search$/, /\/mlflow\/registered-models\/get-latest-versions$/,
  /^\/api\/v1\/jobs\/validate$/,
];

function verbFor(method: string, url: string, area: Area): Verb {
  // A Jupyter server runs code whatever the method (its WebSocket upgrades arrive as GET).
  if (area === 'notebooks') return 'execute';
  if (/\/list-keys$/.test(url)) return 'keys';
  if (area === 'computes' && /\/(start|stop|restart)$/.test(url)) return 'operate';
  if (area === 'sql' && method === 'POST') return 'execute';
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (READING_POSTS.some((r) => r.test(url))) return 'read';
  return 'write';
}

export function actionFor(method: string, registeredUrl: string): Action | undefined {
  const url = registeredUrl.replace(/^\/ajax-api\//, '/api/');
  const area = AREAS.find(([r]) => r.test(url))?.[1];
  return area ? { area, verb: verbFor(method, url, area) } : undefined;
}
