/** Schedules as the CLI sends them (REST v1), written once. */
import { z } from 'zod';
import { AnyJobSpec } from './jobs.ts';

export const CreateSchedule = z.strictObject({
  name: z.string().min(1),
  display_name: z.string().optional(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /** A cron or recurrence trigger in Azure ML's shape; its fields are checked by the trigger reader. */
  trigger: z.record(z.string(), z.unknown()),
  /** The job to submit at each slot, or `azureml:<job name>` to copy an earlier job. */
  create_job: z.union([AnyJobSpec, z.string().min(1)]),
  is_enabled: z.boolean().optional(),
});
