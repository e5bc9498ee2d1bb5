/**
 * scikit-learn models converted to ONNX when they are registered (skl2onnx), so PREDICT and
 * ml.predict score them in this process rather than in a Python worker. The conversion runs in
 * the background, in the model's own environment plus skl2onnx and onnxruntime
 * (python/stratus_sql/to_onnx.py), and is kept only if its predictions agree with scikit-learn's.
 * Its state (`running`, `converted`, `not converted` and why) is kept beside it, not as a tag of
 * the version — a registry's tags are its users' — and `model show` reports it as `onnx_conversion`.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { LocalArtifactStore } from '../artifacts/local-store.ts';
import { mlflowArtifactsPath } from '../artifacts/uri-policy.ts';
import type { EnvironmentBuilder } from '../environments/builder.ts';
import { mlflowModelEnvironment } from '../environments/mlflow-model.ts';
import { findOnnxFile } from '../serving/onnx-scorer.ts';
import type { RegistryService } from '../tracking/registry.ts';
import { childEnv } from '../util/child-env.ts';
import { HARNESS } from '../util/python-harness.ts';
import { signatureInputs } from './model-scoring.ts';

/** Where a version's conversion stands. */
export interface ConversionState { state: 'running' | 'converted' | 'not converted'; reason?: string; name: string; version: string }
/** What the conversion adds to the model's own requirements (the versions the project itself tests with). */
const CONVERTER = ['skl2onnx==1.20.0', 'onnxruntime==1.23.2'];

export class OnnxConversions {
  constructor(private registry: RegistryService, private store: LocalArtifactStore, private builder: EnvironmentBuilder, private dir: string) {}

  /** Listens for new versions: each scikit-learn model of this workspace is converted in the background. */
  watch(): void {
    this.registry.onVersionCreated((name, version) => this.start(name, version));
  }

  /** Starts again the conversions a stopped server left running, so none says running for ever. */
  resume(): void {
    if (!fs.existsSync(this.dir)) return;
    for (const f of fs.readdirSync(this.dir).filter((x) => x.endsWith('.json'))) {
      const state = JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8')) as ConversionState;
      if (state.state === 'running') this.start(state.name, state.version);
    }
  }

  private start(name: string, version: string): void {
    void this.folderOf(name, version).then(async (folder) => {
      if (!folder) return;
      await this.convert(name, version, folder).catch((err: Error) => {
        this.record(folder, { state: 'not converted', reason: err.message.split('\n')[0].slice(0, 300), name, version });
      });
    }, () => undefined);
  }

  /** The version's folder in this workspace's store; undefined for a model whose files live elsewhere. */
  private async folderOf(name: string, version: string): Promise<string | undefined> {
    const uri = await this.registry.downloadUri(name, version);
    return uri.startsWith('mlflow-artifacts:') ? this.store.resolve(mlflowArtifactsPath(uri)) : undefined;
  }

  /** Where the conversion of a model version's folder stands; undefined when it is no scikit-learn model of this workspace. */
  stateOf(folder: string): ConversionState | undefined {
    const file = this.fileFor(folder, '.json');
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as ConversionState : undefined;
  }

  /** The ONNX conversion of a model version's folder, if there is one. */
  onnxFor(folder: string): string | undefined {
    const file = this.fileFor(folder, '.onnx');
    return fs.existsSync(file) ? file : undefined;
  }

  /** Keyed by the version's folder in the store: a model deleted and registered again has a new folder, so never an old conversion. */
  private fileFor(folder: string, ext: '.onnx' | '.json'): string {
    return path.join(this.dir, `${crypto.createHash('sha256').update(folder).digest('hex').slice(0, 32)}${ext}`);
  }

  private record(folder: string, state: ConversionState): void {
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(this.fileFor(folder, '.json'), JSON.stringify(state));
  }

  private async convert(name: string, version: string, folder: string): Promise<void> {
    const mlmodel = path.join(folder, 'MLmodel');
    if (!fs.existsSync(mlmodel) || findOnnxFile(folder)) return;
    const flavors = (parseYaml(fs.readFileSync(mlmodel, 'utf8')) as { flavors?: Record<string, unknown> })?.flavors ?? {};
    if (!flavors.sklearn) return;
    if (!signatureInputs(folder)) {
      this.record(folder, { state: 'not converted', reason: 'the model has no column signature, so its input columns are unknown (log it with signature=infer_signature(X, y))', name, version });
      return;
    }
    this.record(folder, { state: 'running', name, version });
    const log = path.join(this.dir, `${encodeURIComponent(name)}-${version}.log`);
    const spec = mlflowModelEnvironment(folder);
    const built = await this.builder.ensure({ ...spec, requirements: [...spec.requirements, ...CONVERTER] }, (t) => fs.appendFileSync(log, t));
    const target = this.fileFor(folder, '.onnx');
    const partial = `${target}.partial`;
    const outcome = await runConverter(built.python, built.prefix, folder, partial, log);
    if (outcome.converted) {
      fs.renameSync(partial, target);
      this.record(folder, { state: 'converted', reason: outcome.reason, name, version });
    } else {
      fs.rmSync(partial, { force: true });
      this.record(folder, { state: 'not converted', reason: outcome.reason, name, version });
    }
  }
}

function runConverter(python: string, prefix: string | undefined, folder: string, out: string, log: string): Promise<{ converted: boolean; reason: string }> {
  return new Promise((resolve) => {
    const proc = spawn(python, ['-m', 'stratus_sql.to_onnx', folder, out], {
      env: { ...childEnv(), PYTHONPATH: HARNESS, ...(prefix ? { VIRTUAL_ENV: prefix, PATH: `${path.join(prefix, 'bin')}:${process.env.PATH ?? ''}` } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => fs.appendFileSync(log, d));
    proc.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as { converted: boolean; reason: string });
      } catch {
        resolve({ converted: false, reason: `the converter exited with code ${code} (its log: ${path.basename(log)})` });
      }
    });
    proc.on('error', (err) => resolve({ converted: false, reason: err.message }));
  });
}
