/**
 * Compute instances (Azure ML's `computeinstance`): a real Jupyter server with Python (and, where
 * installed, R) kernels in the notebook environment, rooted at the workspace file share, reached
 * through the workspace's own port (server/jupyter-proxy.ts). Setup scripts run before it
 * starts; its kernels' activity is what keeps it from idle shutdown.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { CreateCompute } from '../specs/assets.ts';
import type { BuiltEnvironment, EnvironmentBuilder } from '../environments/builder.ts';
import type { RegisteredEnvironments } from '../environments/resolve.ts';
import { NOTEBOOK_ENVIRONMENT, withJupyter } from '../environments/notebook.ts';
import { childEnv } from '../util/child-env.ts';
import { invalid } from '../util/errors.ts';
import { killTree } from './local-process.ts';
import { startJupyter, waitReady } from './jupyter-server.ts';
import { logTail } from './marked-processes.ts';
import type { Boot, Booted, ComputeRuntime, ManagedContext, ManagedRow, ManagedSettings } from './managed.ts';

export type InstanceSettings = Pick<z.infer<typeof CreateCompute>, 'size' | 'idle_time_before_shutdown_minutes' | 'kernel_idle_timeout_minutes' | 'environment' | 'schedules' | 'setup_scripts'>;
type SetupScript = NonNullable<NonNullable<InstanceSettings['setup_scripts']>['creation_script']>;

/** Kernels with no client attached are culled after this long unless the instance says otherwise. */
const DEFAULT_KERNEL_CULL_MINUTES = 120;

/**
 * Runs in every Python kernel before the first cell: MLflow runs the notebook starts are tagged
 * with the notebook's path in the share (MLflow reads MLFLOW_RUN_CONTEXT at each run's start),
 * whatever client opened it — the studio, JupyterLab or VS Code.
 */
const STARTUP_HOOK = `def _stratus_tag_runs():
    import json, os
    notebook = os.environ.get("JPY_SESSION_NAME")
    if not notebook or "MLFLOW_RUN_CONTEXT" in os.environ:
        return
    root = os.environ.get("STRATUS_SHARE_ROOT", "")
    rel = os.path.relpath(notebook, root) if root and os.path.isabs(notebook) else notebook
    os.environ["MLFLOW_RUN_CONTEXT"] = json.dumps({"mlflow.source.name": rel, "mlflow.source.type": "NOTEBOOK", "stratus.notebook": rel, "stratus.compute": os.environ.get("STRATUS_COMPUTE_NAME", "")})
_stratus_tag_runs()
del _stratus_tag_runs
`;

export function instanceBaseUrl(name: string): string {
  return `/compute-instances/${encodeURIComponent(name)}/jupyter/`;
}

const withPath = (env: NodeJS.ProcessEnv, built: BuiltEnvironment) => ({ ...env, PATH: built.prefix ? `${path.join(built.prefix, 'bin')}:${env.PATH ?? ''}` : env.PATH });

export class JupyterRuntime implements ComputeRuntime {
  readonly activityWord = 'kernel activity';

  /** `sharedKernels`: a Jupyter data folder with kernel specs others add (a Spark cluster's PySpark kernel). */
  constructor(private builder: EnvironmentBuilder, private environments: RegisteredEnvironments, readonly shareDir: string, private sharedKernels: string) {
    fs.mkdirSync(path.join(shareDir, 'Users'), { recursive: true });
  }

  async boot(b: Boot): Promise<Booted> {
    const settings = b.settings as InstanceSettings;
    const built = await this.environment(settings, b.log);
    const ipython = path.join(b.dir, 'state', 'ipython');
    const env = childEnv({
      MLFLOW_TRACKING_URI: b.ctx.trackingUri, ...b.trackingEnv, STRATUS_COMPUTE_NAME: b.name, STRATUS_SHARE_ROOT: this.shareDir, IPYTHONDIR: ipython,
      JUPYTER_PATH: this.sharedKernels,
    });
    const scripts = settings.setup_scripts ?? {};
    if (b.first && scripts.creation_script) await this.runScript(b, 'creation_script', scripts.creation_script, withPath(env, built));
    if (scripts.startup_script) await this.runScript(b, 'startup_script', scripts.startup_script, withPath(env, built));
    const startup = path.join(ipython, 'profile_default', 'startup');
    fs.mkdirSync(startup, { recursive: true });
    fs.writeFileSync(path.join(startup, '00-stratus-notebook.py'), STARTUP_HOOK);
    const logFile = path.join(b.dir, 'compute.log');
    const baseUrl = instanceBaseUrl(b.name);
    const jupyter = await startJupyter({
      python: built.python, prefix: built.prefix, baseUrl, rootDir: this.shareDir, stateDir: path.join(b.dir, 'state'), logFile, env, marker: b.marker,
      cullIdleKernelsSeconds: (settings.kernel_idle_timeout_minutes ?? DEFAULT_KERNEL_CULL_MINUTES) * 60,
    });
    await waitReady(jupyter, baseUrl, logFile);
    return jupyter;
  }

  answers(row: ManagedRow): Promise<boolean> {
    return fetch(`http://127.0.0.1:${row.port}${instanceBaseUrl(row.name)}api/status`, { headers: { Authorization: `token ${row.token}` } }).then((r) => r.ok, () => false);
  }

  /** Any kernel busy means now; otherwise the latest kernel message. */
  async lastUsed(row: ManagedRow): Promise<number> {
    if (!row.port || !row.token) return 0;
    const kernels = await fetch(`http://127.0.0.1:${row.port}${instanceBaseUrl(row.name)}api/kernels`, { headers: { Authorization: `token ${row.token}` } })
      .then((r) => (r.ok ? r.json() : []), () => []) as { execution_state?: string; last_activity?: string }[];
    let latest = 0;
    for (const k of kernels) {
      if (k.execution_state === 'busy' || k.execution_state === 'starting') return Date.now();
      const t = Date.parse(k.last_activity ?? '');
      if (Number.isFinite(t)) latest = Math.max(latest, t);
    }
    return latest;
  }

  async describe(row: ManagedRow, s: ManagedSettings, ctx: ManagedContext | undefined): Promise<Record<string, unknown>> {
    const settings = s as InstanceSettings;
    const base = `${ctx?.publicUrl ?? ''}${instanceBaseUrl(row.name)}`;
    return {
      size: settings.size ?? 'local',
      kernel_idle_timeout_minutes: settings.kernel_idle_timeout_minutes ?? DEFAULT_KERNEL_CULL_MINUTES,
      // Personal: only this user opens it, and its kernels run as them.
      ...(s.assigned_user ? { create_on_behalf_of: { user_object_id: s.assigned_user } } : {}),
      environment: settings.environment ?? 'stratus-notebook (Jupyter, ipykernel, MLflow, scikit-learn, pandas, matplotlib)',
      setup_scripts: settings.setup_scripts && Object.fromEntries(Object.entries(settings.setup_scripts).map(([k, v]) => [k, { command: v?.command, timeout_minutes: v?.timeout_minutes, script: v?.script ? `${v.script.length} characters` : undefined }])),
      services: row.state === 'Running' ? [
        { display_name: 'Jupyter', endpoint_uri: `${base}tree` },
        { display_name: 'Jupyter Lab', endpoint_uri: `${base}lab` },
      ] : [],
    };
  }

  private async environment(settings: InstanceSettings, log: (t: string) => void): Promise<BuiltEnvironment> {
    let spec = NOTEBOOK_ENVIRONMENT;
    if (settings.environment) {
      const m = /^azureml:([^:@]+)(?::([^@]+)|@(.+))?$/.exec(settings.environment);
      if (!m) throw invalid(`Invalid environment '${settings.environment}': use azureml:<name>:<version> or azureml:<name>@latest.`);
      const registered = await this.environments.pythonSpec(m[1], m[2], m[3] ?? (m[2] ? undefined : 'latest'));
      if (!registered) throw invalid(`Environment '${settings.environment}' has no conda file, so there is no Python to add Jupyter to.`);
      spec = withJupyter(registered);
    }
    return this.builder.ensure(spec, log);
  }

  /** A setup script in the instance's environment, with the share as working folder; failing or overrunning fails the start. */
  private async runScript(b: Boot, which: string, s: SetupScript, env: NodeJS.ProcessEnv): Promise<void> {
    let command = s.command ?? '';
    if (s.script !== undefined) {
      const file = path.join(b.dir, `${which}.sh`);
      fs.writeFileSync(file, s.script, { mode: 0o700 });
      command = s.command ? `${s.command} ${JSON.stringify(file)}` : `bash ${JSON.stringify(file)}`;
    }
    if (!command.trim()) return;
    b.log(`--- ${which}: ${command}\n`);
    const logFile = path.join(b.dir, 'compute.log');
    const out = fs.openSync(logFile, 'a');
    const child = spawn('bash', ['-c', command], { cwd: this.shareDir, detached: true, stdio: ['ignore', out, out], env });
    fs.closeSync(out);
    const minutes = s.timeout_minutes ?? 15;
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => void killTree(child.pid!, 2000), minutes * 60_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
      child.once('error', () => resolve(127));
    });
    if (code !== 0) {
      throw new Error(`The ${which.replace('_', ' ')} ${code === null ? `ran past its ${minutes}-minute timeout` : `exited with code ${code}`}: ${logTail(logFile, 5)}`);
    }
  }
}
