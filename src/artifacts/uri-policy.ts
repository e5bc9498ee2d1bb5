/**
 * What artifact locations and model-version sources the server accepts.
 *
 * The server only ever reads and writes artifacts under its own root through
 * `mlflow-artifacts:` URIs; it never opens a local path or fetches a URL named by a client.
 * Local paths (`file:`, `/proc/...`), host-addressed schemes that would make the server or
 * other clients talk to arbitrary hosts (http, ftp, …), and any `..`, `#`, `?` or
 * percent-encoded trick are rejected — the classes of MLflow's published path-traversal,
 * local-file-inclusion and SSRF advisories.
 */
import { invalid } from '../util/errors.ts';
import { WORKSPACE_FOLDERS } from './layout.ts';

/** Object-store schemes a client may keep its artifacts in; the server never touches them. */
const EXTERNAL_STORE_SCHEMES = new Set(['s3', 'gs', 'wasbs', 'wasb', 'abfss', 'abfs', 'hdfs', 'dbfs', 'oss', 'r2']);

/** Fully decodes percent-encoding (up to three layers) so double-encoded tricks are seen. */
export function fullyDecode(value: string): string {
  let current = value;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      throw invalid(`Invalid percent-encoding in '${value}'.`);
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** Checks a relative artifact path: no traversal, no absolute or drive paths, no tricks. */
export function assertSafeRelativePath(relPath: string, field = 'path'): void {
  const decoded = fullyDecode(relPath);
  const bad = (why: string) => invalid(`Invalid ${field} '${relPath}': ${why}. Artifact paths are relative to the run's artifact root.`);
  if (decoded.includes('\0')) throw bad('it contains a NUL byte');
  if (decoded.includes('\\')) throw bad('backslashes are not allowed');
  if (decoded.startsWith('/') || /^[a-zA-Z]:/.test(decoded) || decoded.startsWith('~')) throw bad('absolute paths are not allowed');
  if (decoded.includes('#') || decoded.includes('?')) throw bad("'#' and '?' are not allowed");
  if (decoded.split('/').some((seg) => seg === '..')) throw bad("'..' is not allowed");
}

function schemeOf(uri: string): string | null {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri);
  return m ? m[1].toLowerCase() : null;
}

function rejectCommonTricks(uri: string, field: string): void {
  const decoded = fullyDecode(uri);
  if (decoded.includes('#') || decoded.includes('?')) {
    throw invalid(`Invalid ${field} '${uri}': URIs with a '#' fragment or '?' query are not accepted.`);
  }
  if (decoded.includes('\\') || decoded.includes('\0')) {
    throw invalid(`Invalid ${field} '${uri}': backslashes and NUL bytes are not accepted.`);
  }
  if (decoded.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw invalid(`Invalid ${field} '${uri}': relative path segments ('..', '.') are not accepted.`);
  }
}

/** `mlflow-artifacts:/a/b` → `a/b` (the path below the server's artifact root). */
export function mlflowArtifactsPath(uri: string): string {
  const m = /^mlflow-artifacts:(\/\/[^/]*)?\/?(.*)$/.exec(uri);
  if (!m) throw invalid(`Not an mlflow-artifacts URI: '${uri}'.`);
  if (m[1] && m[1] !== '//') throw invalid(`Invalid URI '${uri}': mlflow-artifacts URIs must not name a host.`);
  const rel = m[2].replace(/\/+$/, '');
  assertSafeRelativePath(rel, 'URI path');
  return rel;
}


/** A store path's segments, without empty and `.` segments (after the traversal checks). */
export function storeSegments(relPath: string): string[] {
  assertSafeRelativePath(relPath);
  return relPath.split('/').filter((s) => s !== '' && s !== '.');
}

/** Where an experiment may keep its artifacts inside the store: its own folder, never the workspace's. */
export function assertExperimentFolder(uri: string, segments: string[]): void {
  const bad = (why: string) => invalid(`Invalid artifact_location '${uri}': ${why}. Leave it empty to get the experiment's own folder.`);
  if (segments.length === 0) throw bad('it is the whole artifact store');
  if (WORKSPACE_FOLDERS.has(segments[0])) throw bad(`'${segments[0]}/' holds the workspace's own files`);
  if (/^\d+$/.test(segments[0])) throw bad(`'${segments[0]}/' is the folder of experiment ${segments[0]}`);
}

/** Experiment artifact locations: `mlflow-artifacts:/…` or an external object store. */
export function validateArtifactLocation(uri: string, field = 'artifact_location'): void {
  rejectCommonTricks(uri, field);
  const scheme = schemeOf(uri);
  if (scheme === 'mlflow-artifacts') {
    assertExperimentFolder(uri, storeSegments(mlflowArtifactsPath(uri)));
    return;
  }
  if (scheme && EXTERNAL_STORE_SCHEMES.has(scheme)) return;
  throw invalid(
    `Invalid ${field} '${uri}': local paths, 'file:' URIs and host-addressed schemes (http, https, ftp, …) are not ` +
      `accepted. Leave it empty to store artifacts in the workspace, or use mlflow-artifacts:/<path> or an object store URI (s3://, gs://, abfss://).`,
  );
}

/**
 * Model-version sources: `runs:/<run_id>/<path>`, `models:/<model_id>`, `mlflow-artifacts:/…`
 * or an external object store. Local paths and host-addressed schemes are rejected.
 */
export function validateModelSource(source: string): { scheme: string } {
  rejectCommonTricks(source, 'source');
  const scheme = schemeOf(source);
  if (scheme === 'runs' || scheme === 'models') {
    if (/^[a-z]+:\/\/[^/]/i.test(source)) {
      throw invalid(`Invalid model version source '${source}': ${scheme}:/ URIs must not name a host or workspace.`);
    }
    return { scheme };
  }
  if (scheme === 'mlflow-artifacts') {
    mlflowArtifactsPath(source);
    return { scheme };
  }
  if (scheme && EXTERNAL_STORE_SCHEMES.has(scheme)) return { scheme };
  throw invalid(
    `Invalid model version source '${source}': local paths, 'file:' URIs and host-addressed schemes are not accepted. ` +
      `Register a model logged to the workspace (runs:/<run_id>/<path>, models:/<model_id> or mlflow-artifacts:/…).`,
  );
}
