/**
 * Paths that Livy and Databricks requests name: the workspace file share is their default file
 * system (`Users/me/app.py`, `/Workspace/Users/me/app.py`), `local:/path` (Livy) or `file:/path`
 * names a file on this host, and other schemes (`hdfs:`, `wasbs:`, `dbfs:`) have no storage here.
 */
import path from 'node:path';
import { invalid } from '../util/errors.ts';

export function sharePath(shareRoot: string, p: string, field: string): string {
  if (p.startsWith('local:')) return p.slice('local:'.length);
  if (/^[a-z][\w+.-]*:/i.test(p) && !p.startsWith('file:')) {
    throw invalid(`${field} '${p}': only paths in the workspace file share (e.g. Users/me/app.py or /Workspace/Users/me/app.py) or local:/path are reachable here.`);
  }
  const rel = p.replace(/^file:/, '').replace(/^\/Workspace\//, '').replace(/^\/+/, '');
  if (rel.split('/').includes('..')) throw invalid(`${field} '${p}': '..' is not allowed.`);
  return path.join(shareRoot, rel);
}
