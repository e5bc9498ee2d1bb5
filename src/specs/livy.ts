/** Apache Livy's batch request, as HDInsight's `/livy/batches` takes it (Livy's camelCase names). */
import { z } from 'zod';

const paths = z.array(z.string().min(1).max(4096)).max(100);

export const LivyBatchRequest = z.object({
  file: z.string().min(1).max(4096),
  className: z.string().min(1).max(1000).optional(),
  args: z.array(z.union([z.string().max(100_000), z.number()])).max(1000).optional(),
  jars: paths.optional(),
  pyFiles: paths.optional(),
  files: paths.optional(),
  archives: paths.optional(),
  driverMemory: z.string().regex(/^\d+[kmgt]?$/i).optional(),
  driverCores: z.number().int().min(1).max(256).optional(),
  executorMemory: z.string().regex(/^\d+[kmgt]?$/i).optional(),
  executorCores: z.number().int().min(1).max(256).optional(),
  numExecutors: z.number().int().min(1).max(1000).optional(),
  name: z.string().min(1).max(200).optional(),
  conf: z.record(z.string().regex(/^spark\.[\w.-]+$/, 'a spark.* setting name'), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Accepted as Livy does; the batch runs as the workspace's own user. */
  proxyUser: z.string().optional(),
  queue: z.string().optional(),
});

export type LivyBatchRequestT = z.infer<typeof LivyBatchRequest>;

/** The settings a batch and an interactive session share (Livy's `CreateBatchRequest`/`CreateInteractiveRequest`). */
const { file: _file, className: _className, args: _args, ...common } = LivyBatchRequest.shape;

/** Session kinds Livy knows; Stratus's sessions run `pyspark`, `spark` (Scala) and `sql` statements (no SparkR). */
export const LIVY_KINDS = ['spark', 'pyspark', 'sparkr', 'sql', 'shared'] as const;

export const LivySessionRequest = z.object({
  ...common,
  kind: z.enum(LIVY_KINDS).optional(),
  heartbeatTimeoutInSecond: z.number().int().min(0).max(7 * 24 * 3600).optional(),
  ttl: z.string().regex(/^\d+[smhd]?$/).optional(),
});

export type LivySessionRequestT = z.infer<typeof LivySessionRequest>;

export const LivyStatementRequest = z.object({
  code: z.string().max(1_000_000),
  kind: z.enum(LIVY_KINDS).optional(),
});

export type LivyStatementRequestT = z.infer<typeof LivyStatementRequest>;

/** Stratus's own setting naming the Spark cluster a batch or session runs on (it is not passed to Spark). */
const COMPUTE_SETTING = 'spark.stratus.compute';

/** Takes the cluster a request names out of its `conf`, if it names one. */
export function takeCompute(conf: Record<string, string>): string | undefined {
  const named = conf[COMPUTE_SETTING];
  delete conf[COMPUTE_SETTING];
  return named;
}

/** A request's `conf` as strings, with its driver and executor sizes as the matching spark.* settings. */
export function livySparkConf(req: Pick<LivyBatchRequestT, 'conf' | 'driverMemory' | 'driverCores' | 'executorMemory' | 'executorCores' | 'numExecutors'>): Record<string, string> {
  const conf: Record<string, string> = Object.fromEntries(Object.entries(req.conf ?? {}).map(([k, v]) => [k, String(v)]));
  const sized: [string | number | undefined, string][] = [
    [req.driverMemory, 'spark.driver.memory'], [req.driverCores, 'spark.driver.cores'], [req.executorMemory, 'spark.executor.memory'],
    [req.executorCores, 'spark.executor.cores'], [req.numExecutors, 'spark.executor.instances'],
  ];
  for (const [value, key] of sized) if (value !== undefined) conf[key] = String(value);
  return conf;
}
