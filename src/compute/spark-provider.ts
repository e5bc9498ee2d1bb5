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

export class SparkDriverProvider extends LocalProcessProvider {
  override readonly types: readonly string[] = ['spark'];

  constructor(private managed: ManagedComputes) {
    super();
  }

  override async launch(compute: Compute, launch: Launch): Promise<number> {
    const cluster = await this.managed.running(compute.name);
    this.managed.touch(compute.name);
    const conf = path.join(this.managed.computeDir(compute.name), 'conf');
    return super.launch(compute, { ...launch, env: { ...launch.env, STRATUS_SPARK_MASTER: masterUrl(cluster), SPARK_CONF_DIR: conf } });
  }
}
