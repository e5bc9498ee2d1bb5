/**
 * What a client may change in the artifact store through the artifact proxy. Reads are
 * confined to the store by the store itself; changes are confined further:
 * - a file under an experiment's artifact folder (`<exp>/<run>/artifacts/…`) may be written or
 *   deleted, never the folder itself or anything above it;
 * - a content-addressed snapshot or upload (`snapshots/<hash>/…`, `uploads/<hash>/…`) may be
 *   written until its completion marker exists, and is immutable after that;
 * - nothing else: job outputs and the store's own folders belong to the server.
 */
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { storeSegments } from '../artifacts/uri-policy.ts';
import { completeMarker, contentAddressedFolder } from '../artifacts/layout.ts';
import { StratusError } from '../util/errors.ts';
import type { ExperimentService } from './experiments.ts';

const denied = (message: string) => new StratusError('PERMISSION_DENIED', message);

export class ArtifactAccess {
  constructor(private experiments: ExperimentService, private store: LocalArtifactStore) {}

  async assertWritable(relPath: string): Promise<void> {
    const segments = storeSegments(relPath);
    if (await this.experiments.owningExperiment(segments)) return;
    const folder = contentAddressedFolder(segments);
    if (folder) {
      const complete = await this.store.stat(completeMarker(folder.kind, folder.hash)).then(() => true, () => false);
      if (!complete) return;
      throw denied(`Cannot write '${relPath}': ${folder.kind}/${folder.hash} is a complete upload and cannot change (its name is the hash of its content).`);
    }
    throw denied(`Cannot write '${relPath}': clients may write inside an experiment's artifact folder (<experiment_id>/<run_id>/artifacts/…) or an unfinished snapshot or upload.`);
  }

  async assertDeletable(relPath: string): Promise<void> {
    if (await this.experiments.owningExperiment(storeSegments(relPath))) return;
    throw denied(`Cannot delete '${relPath}': a delete must name a file or folder inside an experiment's artifact folder (<experiment_id>/<run_id>/…).`);
  }
}
