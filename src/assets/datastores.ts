/**
 * Datastores, as Azure ML names them: `workspaceblobstore`, the workspace's default datastore,
 * whose files are kept in the workspace's own storage (the artifact store's `datastores/`
 * folder) and can be uploaded, listed and downloaded; and `workspaceartifactstore`, where run
 * artifacts, job outputs and data assets live (read here through their own APIs). Jobs read
 * both through `azureml://datastores/<name>/paths/<path>` inputs.
 */
import path from 'node:path';
import type { FileAuthors } from '../files/file-authors.ts';
import { WorkspaceFiles } from '../files/workspace-files.ts';
import { invalid, notFound } from '../util/errors.ts';

export const DEFAULT_DATASTORE = 'workspaceblobstore';
const ARTIFACT_DATASTORE = 'workspaceartifactstore';

/** `azureml://datastores/<name>/paths/<path>`, also in its long form with subscription, resource group and workspace. */
const DATASTORE_URI = /^azureml:\/\/(?:subscriptions\/[^/]+\/resource[gG]roups\/[^/]+\/(?:providers\/Microsoft\.MachineLearningServices\/)?workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/?(.*)$/;

export interface DatastoreJson {
  name: string;
  type: 'azure_blob';
  is_default: boolean;
  account_name: string;
  container_name: string;
  description: string;
  /** Whether files can be uploaded into it here. */
  writable: boolean;
}

export class DatastoreService {
  readonly blobstore: WorkspaceFiles;

  constructor(artifactsRoot: string, authors?: FileAuthors) {
    this.blobstore = new WorkspaceFiles(path.join(artifactsRoot, 'datastores', DEFAULT_DATASTORE), {
      where: `datastore ${DEFAULT_DATASTORE}`, listHint: `stratus datastore list-files --name ${DEFAULT_DATASTORE}`,
    }, authors);
  }

  list(): { value: DatastoreJson[] } {
    return { value: [this.show(DEFAULT_DATASTORE), this.show(ARTIFACT_DATASTORE)] };
  }

  show(name: string): DatastoreJson {
    if (name === DEFAULT_DATASTORE) {
      return { name, type: 'azure_blob', is_default: true, account_name: 'local', container_name: name, writable: true,
        description: "The workspace's default datastore: files kept in the workspace's own storage. Upload with: stratus datastore upload" };
    }
    if (name === ARTIFACT_DATASTORE) {
      return { name, type: 'azure_blob', is_default: false, account_name: 'local', container_name: name, writable: false,
        description: 'Run artifacts, job outputs and data assets (written through their own APIs)' };
    }
    throw notFound(`Datastore '${name}' does not exist. This workspace has ${DEFAULT_DATASTORE} (the default) and ${ARTIFACT_DATASTORE}.`);
  }

  /** A datastore's files, for upload and download (only the default datastore takes uploads). */
  files(name: string): WorkspaceFiles {
    if (!this.show(name).writable) throw invalid(`Datastore '${name}' is written through its own APIs (runs, jobs, data assets); upload files to ${DEFAULT_DATASTORE}.`);
    return this.blobstore;
  }

  /** The artifact-store path an `azureml://datastores/…` URI names, or undefined for other URIs. */
  storePath(uri: string): string | undefined {
    const m = DATASTORE_URI.exec(uri);
    if (!m) return undefined;
    const [, name, rel] = m;
    this.show(name);
    const inside = rel.replace(/\/+$/, '');
    return name === DEFAULT_DATASTORE ? ['datastores', DEFAULT_DATASTORE, inside].filter(Boolean).join('/') : inside;
  }
}
