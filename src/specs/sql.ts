/** A SQL query sent to the workspace (`POST /api/v1/sql`, `stratus sql`). */
import { z } from 'zod';

export const SqlQuery = z.strictObject({
  query: z.string().min(1).max(1_000_000),
  /** Rows to return at most (default 1000; up to 100000). */
  max_rows: z.number().int().min(1).max(100_000).optional(),
  /** Keep the whole result as a new version of a uri_file data asset (Parquet). */
  save_as: z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9][\w.-]{0,254}$/, 'a data asset name: letters, digits, -, _ and .'),
    version: z.string().regex(/^[\w.-]{1,64}$/).optional(),
    description: z.string().max(10_000).optional(),
  }).optional(),
});

/** A query whose whole result is streamed back (`POST /api/v1/sql/export`, `stratus sql --all`). */
export const SqlExport = z.strictObject({
  query: z.string().min(1).max(1_000_000),
  /** `csv` (a header line, RFC 4180 quoting) or `ndjson` (one JSON object per row). */
  format: z.enum(['csv', 'ndjson']).optional(),
});
