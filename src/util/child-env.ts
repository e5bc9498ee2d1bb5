/**
 * The environment a child process of the server starts from: the server's own, minus its
 * secrets. User code (jobs, scoring workers, kernels) and builders must never read the
 * workspace's credentials or the store's connection string from their environment; a job gets
 * the MLflow credentials it needs added explicitly.
 */
const SECRET = /^(STRATUS_AUTH|STRATUS_STORE$|STRATUS_TEST_PG_URL$|MLFLOW_TRACKING_(TOKEN|USERNAME|PASSWORD)$|PG(PASSWORD|USER)$)/;

export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SECRET.test(k)) env[k] = v;
  return { ...env, ...extra };
}
