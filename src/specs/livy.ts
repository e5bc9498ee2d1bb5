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
