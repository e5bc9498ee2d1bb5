/**
 * Folders the server itself puts into the store as the CLI uploads a user's (specs/snapshot.ts's
 * contentAddress, the same rule): `snapshots/<hash>/…` for code, `uploads/<hash>/<name>/…` for a
 * model's files, written once, complete only when the marker is written last.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { collectFiles, contentAddress } from '../specs/snapshot.ts';
import { COMPLETE_MARKER, type UploadKind } from '../specs/uploads.ts';
import type { LocalArtifactStore } from './local-store.ts';

/** Stores a local folder; returns its hash and, for an upload, how a spec names it. */
export async function storeFolder(store: LocalArtifactStore, localDir: string, kind: UploadKind): Promise<{ hash: string; ref: string }> {
  const files = collectFiles(localDir, kind, false);
  const { hash, folder, ref, destOf } = contentAddress(localDir, files, kind);
  if (!(await store.stat(`${folder}/${COMPLETE_MARKER}`).then(() => true, () => false))) {
    // The files hashed are the files stored.
    for (const f of files) await store.write(destOf(f), fs.createReadStream(f.abs));
    await store.write(`${folder}/${COMPLETE_MARKER}`, Readable.from([Buffer.from(new Date().toISOString())]));
  }
  return { hash, ref };
}
