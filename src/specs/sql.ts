/** A SQL query sent to the workspace (`POST /api/v1/sql`, `stratus sql`). */
import { z } from 'zod';

export const SqlQuery = z.strictObject({
  query: z.string().min(1).max(1_000_000),
  /** Rows to return at most (default 1000; up to 100000). */
  max_rows: z.number().int().min(1).max(100_000).optional(),
});
