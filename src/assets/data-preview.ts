/**
 * The studio's data preview: the first rows of a data asset's table (CSV, TSV, Parquet or JSON
 * lines) and per-column statistics, computed by DuckDB over the stored file without loading it
 * whole. For a folder the first table file is shown; for an mltable, its first listed file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { invalid } from '../util/errors.ts';
import { quoteString } from '../util/sql-quote.ts';
import { readMlTable } from '../specs/mltable.ts';
import { TABLE_READERS } from './table-files.ts';



function firstTableFile(target: string, type: string): string | undefined {
  if (fs.statSync(target).isFile()) return target;
  if (type === 'mltable') return readMlTable(target).files.map((f) => path.join(target, f)).find((f) => TABLE_READERS[path.extname(f).toLowerCase()]);
  const stack = [target];
  while (stack.length) {
    const dir = stack.shift()!;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      // Names starting with _ or . are metadata (Spark's _SUCCESS, a designer dataset's _schema.json), not the table.
      if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) stack.push(p);
      else if (TABLE_READERS[path.extname(entry.name).toLowerCase()]) return p;
    }
  }
  return undefined;
}

const plain = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v === null || typeof v !== 'object' ? v : String(v));

export async function previewTable(target: string, type: string, rows = 20) {
  const file = firstTableFile(target, type);
  if (!file) throw invalid('This data asset holds no CSV, TSV, Parquet or JSON file to preview.');
  const source = `${TABLE_READERS[path.extname(file).toLowerCase()]}(${quoteString(file)})`;
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const head = await conn.runAndReadAll(`SELECT * FROM ${source} LIMIT ${Math.max(1, Math.min(rows, 1000))}`);
    const summary = await conn.runAndReadAll(`SUMMARIZE SELECT * FROM ${source}`);
    const total = await conn.runAndReadAll(`SELECT COUNT(*) AS n FROM ${source}`);
    return {
      file: path.basename(file),
      row_count: Number(total.getRowObjects()[0].n),
      columns: head.columnNames().map((name, i) => ({ name, type: String(head.columnType(i)) })),
      rows: head.getRowObjects().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)]))),
      stats: summary.getRowObjects().map((s) => ({
        column: s.column_name, type: s.column_type, min: plain(s.min), max: plain(s.max), distinct: plain(s.approx_unique),
        mean: plain(s.avg), std: plain(s.std), nulls_percent: plain(s.null_percentage),
      })),
    };
  } catch (err) {
    throw invalid(`Cannot read ${path.basename(file)} as a table: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    conn.closeSync();
  }
}
