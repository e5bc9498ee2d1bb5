/**
 * Folders the server itself puts into the store as the CLI uploads a user's: content-addressed
 * (`snapshots/<hash>/…` for code, `uploads/<hash>/<name>/…` for a model's files), written once,
 * complete only when the marker is written last.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { collectFiles, contentHash } from '../specs/snapshot.ts';
import { COMPLETE_MARKER, uploadFolder, uploadRef, type UploadKind } from '../specs/uploads.ts';
import { importFolder, type LocalArtifactStore } from './local-store.ts';

/** Stores a local folder; returns its hash and, for an upload, how a spec names it. */
export async function storeFolder(store: LocalArtifactStore, localDir: string, kind: UploadKind): Promise<{ hash: string; ref: string }> {
  const base = path.basename(localDir);
  const hash = contentHash(collectFiles(localDir, kind, false), kind === 'uploads' ? base : '');
  const folder = uploadFolder(kind, hash);
  const complete = await store.stat(`${folder}/${COMPLETE_MARKER}`).then(() => true, () => false);
  if (!complete) {
    await importFolder(store, localDir, kind === 'uploads' ? `${folder}/${base}` : folder);
    await store.write(`${folder}/${COMPLETE_MARKER}`, Readable.from([Buffer.from(new Date().toISOString())]));
  }
  return { hash, ref: uploadRef(hash, base) };
}
