/**
 * POST /api/v1/sql/export: a query's whole result streamed as CSV or JSON lines — no row limit,
 * never held whole in memory (`stratus sql --all`). The query's errors are the usual JSON error
 * reply; should sending fail after the first bytes, the connection is cut without HTTP's last
 * chunk, so a client never takes a partial result for a whole one.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { SqlEngine } from '../sql/engine.ts';
import { SqlExport } from '../specs/sql.ts';
import { checked } from '../specs/validate.ts';
import { clientGone } from './client-gone.ts';

export const SQL_EXPORT = '/api/v1/sql/export';
export const SQL_EXPORT_ROUTES: [string, string, string][] = [
  ['POST', SQL_EXPORT, 'a query\'s whole result streamed (`{query, format}`; `format` `csv` (default) or `ndjson`), with no row limit; a query that fails is a JSON error reply'],
];

const TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' } as const;

export function sqlExportRoute(app: FastifyInstance, sql: SqlEngine): void {
  app.post(SQL_EXPORT, async (req, reply) => {
    const body = checked(SqlExport, req.body ?? {}, 'export request');
    const format = body.format ?? 'csv';
    const out = new PassThrough();
    const signal = clientGone(reply);
    signal.addEventListener('abort', () => out.destroy());
    // Waits while the client reads slower than DuckDB writes; fails once the response is gone.
    const write = (text: string) => new Promise<void>((resolve, reject) => {
      if (out.destroyed) return reject(new Error('The client went away.'));
      if (out.write(text)) return resolve();
      out.once('drain', resolve);
      out.once('close', () => reject(new Error('The client went away.')));
    });
    let started = false;
    await new Promise<void>((begun, failed) => {
      sql.export(body.query, format, { begin: () => { started = true; begun(); }, write }, { signal }).then(
        () => out.end(),
        (err: Error) => {
          if (!started) return failed(err);
          // Rows have gone out: end the connection without HTTP's last chunk, so the client sees an incomplete reply.
          reply.raw.destroy(err);
          out.destroy();
        },
      );
    });
    return reply.type(TYPES[format]).header('Content-Disposition', `attachment; filename="result.${format === 'csv' ? 'csv' : 'jsonl'}"`).send(out);
  });
}
