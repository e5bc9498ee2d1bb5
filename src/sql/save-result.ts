/**
 * A query's result kept as a data asset: the Parquet file goes into the artifact store as an
 * upload (content-addressed, complete once its marker is written, as the CLI's uploads are) and
 * becomes a new version of a `uri_file` data asset.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { DataAssetService } from '../assets/data.ts';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { completeMarker } from '../artifacts/layout.ts';
import { uploadFolder, uploadRef } from '../specs/uploads.ts';

export async function saveAsDataAsset(store: LocalArtifactStore, data: DataAssetService, file: string, as: { name: string; version?: string; description?: string }): Promise<{ name: string; version: string }> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex').slice(0, 32);
  const name = 'result.parquet';
  await store.write(`${uploadFolder('uploads', digest)}/${name}`, fs.createReadStream(file));
  await store.write(completeMarker('uploads', digest), Readable.from([Buffer.alloc(0)]));
  const created = await data.create({ name: as.name, version: as.version, type: 'uri_file', path: uploadRef(digest, name), description: as.description ?? 'Saved from a SQL query.' }) as { name: string; version: string };
  return { name: String(created.name), version: String(created.version) };
}
