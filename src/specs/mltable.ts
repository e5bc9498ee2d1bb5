/** Azure ML's MLTable file: which files of a folder make the table, and how they are read. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { invalid } from '../util/errors.ts';

export interface MlTable {
  files: string[];
  read_delimited?: Record<string, unknown>;
}

/** Reads an MLTable file: its `paths` (file, folder, pattern) and a read_delimited step. */
export function readMlTable(folder: string): MlTable {
  const file = path.join(folder, 'MLTable');
  let doc: any;
  try {
    doc = parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalid(`An mltable folder needs a readable MLTable file (${(err as Error).message.split('\n')[0]}).`);
  }
  if (!Array.isArray(doc?.paths) || doc.paths.length === 0) throw invalid("The MLTable file needs 'paths:' with at least one file, folder or pattern.");
  const files: string[] = [];
  for (const p of doc.paths) {
    const target = p.file ?? p.folder ?? p.pattern;
    if (typeof target !== 'string' || /^[a-z]+:\/\//i.test(target)) throw invalid(`MLTable path ${JSON.stringify(p)}: only paths relative to the MLTable folder are supported.`);
    const rel = path.posix.normalize(target.replace(/^\.\//, ''));
    if (rel.startsWith('..')) throw invalid(`MLTable path '${target}' leaves the MLTable folder.`);
    if (p.file) {
      if (!fs.existsSync(path.join(folder, rel))) throw invalid(`MLTable path '${target}' does not exist in the uploaded folder.`);
      files.push(rel);
    } else {
      const base = p.folder ? rel : path.posix.dirname(rel);
      const glob = p.pattern ? new RegExp(`^${path.posix.basename(rel).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`) : undefined;
      const dir = path.join(folder, base === '.' ? '' : base);
      if (!fs.existsSync(dir)) throw invalid(`MLTable path '${target}' does not exist in the uploaded folder.`);
      for (const f of fs.readdirSync(dir)) {
        if (f === 'MLTable' || (glob && !glob.test(f))) continue;
        if (fs.statSync(path.join(dir, f)).isFile()) files.push(base === '.' ? f : `${base}/${f}`);
      }
    }
  }
  const step = (doc.transformations ?? []).find((t: any) => t && typeof t === 'object' && 'read_delimited' in t);
  return { files, read_delimited: step?.read_delimited ?? undefined };
}
