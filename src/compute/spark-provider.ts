/**
 * Jobs on a Spark cluster: the driver (spark-submit) runs as a process on the workspace host,
 * like any job, with the cluster's master URL in STRATUS_SPARK_MASTER — which the spark job's
 * command passes to `--master` — so its executors run on the cluster's workers.
 */
import path from 'node:path';
import type { Compute } from './compute.ts';
import type { ManagedComputes } from './managed.ts';
import type { Launch } from './provider.ts';
import { LocalProcessProvider } from './local-process.ts';
import { masterUrl } from './spark-runtime.ts';

/** What a driver needs to run against a running cluster: its master, and the cluster's spark-defaults.conf. */
export async function sparkDriverEnv(managed: ManagedComputes, cluster: string): Promise<Record<string, string>> {
  const row = await managed.running(cluster);
  managed.touch(cluster);
  return { STRATUS_SPARK_MASTER: masterUrl(row), SPARK_CONF_DIR: path.join(managed.computeDir(cluster), 'conf') };
}

export class SparkDriverProvider extends LocalProcessProvider {
  override readonly types: readonly string[] = ['spark'];

  constructor(private managed: ManagedComputes) {
    super();
  }

  override async launch(compute: Compute, launch: Launch): Promise<number> {
    return super.launch(compute, { ...launch, env: { ...launch.env, ...await sparkDriverEnv(this.managed, compute.name) } });
  }
}
