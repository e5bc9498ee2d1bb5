/**
 * Who changed a file of the share through a compute instance's Jupyter: its contents API's saves
 * and uploads (PUT), renames (PATCH) and deletes (DELETE) are recorded as the files API's are,
 * once Jupyter says they succeeded. Files kernels write straight to disk stay unrecorded.
 */
import type { FileAuthors } from '../files/file-authors.ts';

const CONTENTS = /^\/api\/contents\/(.+)$/;
/** A rename's body is `{"path": …}`: anything larger is not one to read. */
const MAX_RENAME_BODY = 64 * 1024;

export interface BodyWatch {
  /** Sees each chunk of the request body on its way to Jupyter. */
  onChunk?: (chunk: Buffer) => void;
  /** Records the change if Jupyter made it; the client's answer waits for it. */
  onStatus: (status: number) => Promise<void>;
}

/** How to record a contents request of `user` (path `rest` under Jupyter's base URL), or undefined when it changes no file. */
export function contentsAuthorship(method: string, rest: string, authors: FileAuthors | undefined, user: string | undefined): BodyWatch | undefined {
  const m = CONTENTS.exec(rest);
  if (!m || !authors || !user) return undefined;
  let file: string;
  try {
    file = decodeURIComponent(m[1]).replace(/^\/+|\/+$/g, '');
  } catch {
    return undefined;
  }
  if (!file) return undefined;
  const succeeded = (status: number) => status >= 200 && status < 300;
  if (method === 'PUT') return { onStatus: async (s) => { if (succeeded(s)) await authors.wrote(file, user); } };
  if (method === 'DELETE') return { onStatus: async (s) => { if (succeeded(s)) await authors.deleted(file); } };
  if (method !== 'PATCH') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    onChunk: (c) => {
      size += c.length;
      if (size <= MAX_RENAME_BODY) chunks.push(c);
    },
    onStatus: async (s) => {
      if (!succeeded(s) || size > MAX_RENAME_BODY) return;
      let to: unknown;
      try {
        to = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { path?: unknown }).path;
      } catch {
        return;
      }
      if (typeof to === 'string' && to.replace(/^\/+/, '')) await authors.renamed(file, to.replace(/^\/+/, ''));
    },
  };
}
