/**
 * Spark standalone's own command-line shapes, shared by the server (which starts clusters) and
 * the CLI (whose `compute join-worker` runs a Worker on another host): master URLs and the
 * Worker's arguments.
 */
import { invalid } from '../util/errors.ts';

/** `spark://host:port` → its parts, or a clear error. */
export function parseMasterUrl(url: string): { host: string; port: number } {
  const m = /^spark:\/\/([\w.-]+|\[[\da-f:]+\]):(\d{1,5})$/i.exec(url);
  if (!m || Number(m[2]) > 65535) throw invalid(`master_url '${url}' is not a Spark master URL: use spark://<host>:<port>, e.g. spark://10.0.0.4:7077.`);
  return { host: m[1], port: Number(m[2]) };
}

/** Spark's Worker command line: this host's cores and memory, offered to `master`. */
export function workerArgs(master: string, host: string, cores: number, memory: string, workDir: string): string[] {
  return ['org.apache.spark.deploy.worker.Worker', '--host', host, '--cores', String(cores), '--memory', memory, '--webui-port', '0', '--work-dir', workDir, master];
}
