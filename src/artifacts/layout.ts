/**
 * Where things live in the artifact store, spelled once:
 *   <experiment folder>/<run_id>/artifacts/…   run artifacts (experiment folders are `<id>/` by default)
 *   snapshots/<hash>/…                         code snapshots     } content-addressed, written by the CLI,
 *   uploads/<hash>/<name>                      local uploads      } immutable once COMPLETE_MARKER exists
 *   jobs/<job>/named-outputs/<output>/…        a command job's named outputs, written by the server
 *   datastores/workspaceblobstore/…            the default datastore's files (uploaded by clients)
 */
import { COMPLETE_MARKER, uploadFolder, uploadStorePath } from '../specs/uploads.ts';

export { COMPLETE_MARKER, uploadStorePath };

/** Top-level folders that belong to the workspace, not to an experiment. */
export const WORKSPACE_FOLDERS = new Set(['snapshots', 'uploads', 'jobs', 'datastores']);

export function snapshotFolder(hash: string): string {
  return uploadFolder('snapshots', hash);
}

/** The marker whose presence says a snapshot (or upload) is complete. */
export function completeMarker(kind: 'snapshots' | 'uploads', hash: string): string {
  return `${uploadFolder(kind, hash)}/${COMPLETE_MARKER}`;
}

export function jobOutputFolder(job: string): string {
  return `jobs/${job}/named-outputs`;
}

/** The content-addressed snapshot or upload folder (`snapshots/<hash>`, `uploads/<hash>`) a store path is inside, if any. */
export function contentAddressedFolder(segments: string[]): { kind: 'snapshots' | 'uploads'; hash: string } | undefined {
  const kind = segments[0];
  if (segments.length < 3 || (kind !== 'snapshots' && kind !== 'uploads')) return undefined;
  return /^[0-9a-f]{32}$/.test(segments[1]) ? { kind, hash: segments[1] } : undefined;
}
