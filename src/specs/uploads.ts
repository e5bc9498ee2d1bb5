/**
 * How the CLI and the server name the files a user's machine uploads. There are two kinds, both
 * content-addressed (the name is a hash of what is inside, so the same content is uploaded once):
 * - a code snapshot (`code:` of a job, component or deployment), named in a spec by its hash;
 * - an upload (a local input, data or model path), named in a spec as `stratus-upload:<hash>/<name>`.
 * The CLI writes them through the artifact proxy into the folders below and writes the completion
 * marker last; a folder is usable (and immutable) only once its marker exists.
 */
export type UploadKind = 'snapshots' | 'uploads';

/** Written last into a snapshot or upload folder. */
export const COMPLETE_MARKER = '.stratus-complete';

const REF = 'stratus-upload:';

/** The folder an upload or snapshot is written to (through the artifact proxy). */
export function uploadFolder(kind: UploadKind, hash: string): string {
  return `${kind}/${hash}`;
}

/** How a spec names an uploaded file or folder. */
export function uploadRef(hash: string, name: string): string {
  return `${REF}${hash}/${name}`;
}

/**
 * The store path an upload reference names, or undefined when `ref` is not one. Specs stored
 * before references existed named uploads by their store path (`uploads/<hash>/<name>`); both read.
 */
export function uploadStorePath(ref: string): string | undefined {
  if (ref.startsWith(REF)) return `uploads/${ref.slice(REF.length)}`;
  if (ref.startsWith('uploads/')) return ref;
  return undefined;
}
