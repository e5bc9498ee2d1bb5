/**
 * Azure ML's Spark job YAML (`type: spark`), read as Azure reads it and run the way Spark runs
 * any application: the job's command is `spark-submit` with the entry file (or class), its
 * py_files, jars, files and archives, every `conf` setting, and the `args` (where
 * `${{inputs.…}}`/`${{outputs.…}}` resolve as in a command job). Everything else — code upload,
 * inputs and outputs, environment, MLflow run, logs — is a command job's.
 *
 * Where it runs: with `compute: <a Spark cluster>` the driver runs on the workspace host against
 * the cluster's master and the executors on its workers; with `resources` (Azure's serverless
 * Spark) or a local pool, Spark runs in local mode on the job's host with as many cores as
 * `spark.driver.cores` says (default: all), and `job show` says that executor settings have no
 * separate executors to apply to.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ParsedJob, SparkSettings } from './command-job.ts';
import { parseCommandJob } from './command-job.ts';
import { shellQuote } from '../util/shell.ts';
import type { YamlSource } from './yaml-source.ts';

/** The keys a spark job, step or component adds to a command's. */
export const SPARK_KEYS = ['entry', 'py_files', 'jars', 'files', 'archives', 'conf', 'args', 'resources'];
const KNOWN = ['$schema', 'type', 'name', 'display_name', 'description', 'tags', 'experiment_name', 'code', 'inputs', 'outputs', 'compute', 'environment', 'environment_variables', ...SPARK_KEYS];
const NOT_APPLIED: Record<string, string> = {
  identity: 'Spark runs as the workspace\'s own user',
  properties: 'Stratus keeps no job properties; use tags',
};
const EXECUTOR_CONF = /^spark\.(executor\.(cores|memory|instances)|dynamicAllocation\.)/;
const CONF_NAME = /^spark\.[\w.-]+$/;


function list(src: YamlSource, data: Record<string, unknown>, where: string[], key: string): string[] | undefined {
  const v = data[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.trim())) throw src.error([...where, key], 'expected a list of paths relative to code.');
  for (const p of v as string[]) if (path.isAbsolute(p) || p.split('/').includes('..')) throw src.error([...where, key], `'${p}' must be a path inside the code folder.`);
  return v as string[];
}

/**
 * The spark-submit command line for `spark` settings: `target` is the entry file (or the first jar
 * for a class), `args` goes on as given (it may hold ${{ }} expressions). The driver's Python and
 * the workers' are the environment's, so packages in it are there in both; a Spark cluster
 * compute gives its master URL at launch (STRATUS_SPARK_MASTER), anywhere else Spark runs in
 * local mode.
 */
export function sparkSubmitCommand(spark: SparkSettings, appName: string, args: string): string {
  const flags = [
    `--master "\${STRATUS_SPARK_MASTER:-${spark.master}}"`,
    `--name ${shellQuote(appName)}`,
    ...Object.entries(spark.conf).map(([k, v]) => `--conf ${shellQuote(`${k}=${v}`)}`),
    ...(['py_files', 'jars', 'files', 'archives'] as const).filter((k) => spark[k]?.length).map((k) => `--${k.replace('_', '-')} ${shellQuote(spark[k]!.join(','))}`),
    ...(spark.entry.class_name ? [`--class ${shellQuote(spark.entry.class_name)}`] : []),
  ];
  const target = spark.entry.file ?? spark.jars?.[0] ?? '';
  return `PYSPARK_PYTHON="$(command -v python)" PYSPARK_DRIVER_PYTHON="$(command -v python)" spark-submit ${flags.join(' ')} ${shellQuote(target)} ${args}`.trim();
}

/** What a spark job, step or component's Spark keys say: its settings, its spark-submit command, and notes for `job show`. */
export interface SparkPart { spark: SparkSettings; command: string; notes: string[]; warnings: string[] }

/**
 * Reads the Spark keys of the mapping at `where` (a job, a pipeline step or a component): entry,
 * files, conf, resources and args. Missing files are found here, before anything is uploaded.
 */
export function readSparkPart(src: YamlSource, data: Record<string, unknown>, where: string[], appName: string): SparkPart {
  const warnings: string[] = [];
  const entry = data.entry as { file?: unknown; class_name?: unknown } | undefined;
  warnings.push(...src.checkKeys([...where, 'entry'], entry, ['file', 'class_name']));
  if (!entry || (typeof entry.file !== 'string') === (typeof entry.class_name !== 'string')) {
    throw src.error([...where, 'entry'], "a spark job needs 'entry:' with either 'file:' (a .py file or a jar in code) or 'class_name:' (a class in jars).");
  }
  if (data.code === undefined) throw src.error([...where, 'code'], "a spark job needs 'code:', the local folder that holds its entry file.");
  if (typeof entry.file === 'string' && (path.isAbsolute(entry.file) || entry.file.split('/').includes('..'))) throw src.error([...where, 'entry', 'file'], 'must be a path inside the code folder.');
  if (typeof data.code === 'string') {
    const codeDir = path.resolve(path.dirname(path.resolve(src.file)), data.code);
    const need = [...(typeof entry.file === 'string' ? [['entry', 'file', entry.file]] : []),
      ...['py_files', 'jars', 'files', 'archives'].flatMap((k) => (Array.isArray(data[k]) ? (data[k] as string[]).map((f, i) => [k, i, f]) : []))];
    for (const [key, at, file] of need) {
      if (typeof file === 'string' && !fs.existsSync(path.join(codeDir, file))) throw src.error([...where, key as string, at as string], `${file} is not in the code folder ${codeDir}.`);
    }
  }
  const conf: Record<string, string> = {};
  const rawConf = (data.conf ?? {}) as Record<string, unknown>;
  if (typeof rawConf !== 'object' || Array.isArray(rawConf)) throw src.error([...where, 'conf'], 'expected a mapping of Spark settings (spark.driver.cores: 1, ...).');
  for (const [k, v] of Object.entries(rawConf)) {
    if (!CONF_NAME.test(k)) throw src.error([...where, 'conf', k], `'${k}' is not a Spark setting name (they start with 'spark.').`);
    if (v === null || typeof v === 'object') throw src.error([...where, 'conf', k], 'expected a number, text or true/false.');
    conf[k] = String(v);
  }
  const resources = data.resources as Record<string, unknown> | undefined;
  warnings.push(...src.checkKeys([...where, 'resources'], resources, ['instance_type', 'runtime_version']));
  const cores = conf['spark.driver.cores'] ? Number(conf['spark.driver.cores']) : undefined;
  if (cores !== undefined && (!Number.isInteger(cores) || cores < 1)) throw src.error([...where, 'conf', 'spark.driver.cores'], 'expected a whole number of cores, at least 1.');
  const master = `local[${cores ?? '*'}]`;
  const notes: string[] = [];
  const executorConf = Object.keys(conf).filter((k) => EXECUTOR_CONF.test(k));
  if (executorConf.length) notes.push(`${executorConf.join(', ')}: accepted; Spark runs in local mode (${master}) on this host, so there are no separate executors to size.`);
  if (resources?.instance_type) notes.push(`resources.instance_type '${resources.instance_type}' is shown, not applied: Spark runs on this host.`);
  if (resources?.runtime_version) notes.push(`resources.runtime_version '${resources.runtime_version}' is shown; Spark here is the stratus-spark environment's (PySpark 4.3).`);
  const spark: SparkSettings = {
    entry: typeof entry.file === 'string' ? { file: entry.file } : { class_name: entry.class_name as string },
    master, conf,
    py_files: list(src, data, where, 'py_files'), jars: list(src, data, where, 'jars'), files: list(src, data, where, 'files'), archives: list(src, data, where, 'archives'),
  };
  const args = data.args === undefined ? '' : String(data.args);
  return { spark, command: sparkSubmitCommand(spark, appName, args), notes, warnings };
}

/** Reads a spark job YAML into the command job that runs it (and what it will tell `job show`). */
export function parseSparkJob(src: YamlSource, opts: { sets?: string[]; name?: string; defaultExperiment: string }): ParsedJob {
  const data = src.data as Record<string, unknown>;
  const warnings = src.checkKeys([], data, KNOWN, NOT_APPLIED);
  const { spark, command, notes, warnings: sparkWarnings } = readSparkPart(src, data, [], String(data.display_name ?? data.name ?? 'spark-job'));
  warnings.push(...sparkWarnings);

  // The rest is a command job's: code, inputs, outputs, environment, compute.
  for (const key of [...SPARK_KEYS, ...Object.keys(NOT_APPLIED)]) delete data[key];
  data.command = command;
  data.environment ??= 'azureml:stratus-spark@latest';
  const parsed = parseCommandJob(src, { ...opts, allowType: true });
  parsed.spec.type = 'spark';
  parsed.spec.spark = spark;
  parsed.spec.notes.push(...notes);
  parsed.warnings.push(...warnings);
  return parsed;
}
