/**
 * One job: overview (inputs, outputs, environment, command, tags, failure reason), live logs,
 * metrics as charts over steps, params, artifacts and outputs with previews, and cancel.
 * Pipelines show their step graph, sweeps their trials and best trial, AutoML jobs their
 * leaderboard and the best model's feature importance.
 */
import { useEffect, useRef, useState } from 'react';
import type { JobJson } from '../../../src/client/index.ts';
import { client, fmtDuration, fmtTime, useData } from '../api.ts';
import { ErrorNote, Fields, Status, Tabs } from '../components/Bits.tsx';
import { MetricCharts } from '../components/MetricCharts.tsx';
import { FileBrowser } from '../components/Files.tsx';
import { go, Link } from '../router.tsx';
import { draftFromJob } from '../pipelineDraft.ts';
import { PipelineGraph } from '../components/PipelineGraph.tsx';
import { ParallelCoordinates } from '../components/ParallelCoordinates.tsx';

const TERMINAL = ['Completed', 'Failed', 'Canceled'];

/** Follows stdout and stderr from where they were, as the job writes them. */
function Logs({ name }: { name: string }) {
  const [text, setText] = useState({ stdout: '', stderr: '', build: '' });
  const offsets = useRef({ stdout: 0, stderr: 0, build: 0 });
  const [done, setDone] = useState(false);
  useEffect(() => {
    offsets.current = { stdout: 0, stderr: 0, build: 0 };
    setText({ stdout: '', stderr: '', build: '' });
    setDone(false);
    let stop = false;
    const poll = async () => {
      while (!stop) {
        const logs = await client.jobs.logs(name, offsets.current).catch(() => undefined);
        if (logs) {
          const moved = logs.stdout.offset !== offsets.current.stdout || logs.stderr.offset !== offsets.current.stderr || logs.build.offset !== offsets.current.build;
          offsets.current = { stdout: logs.stdout.offset, stderr: logs.stderr.offset, build: logs.build.offset };
          if (moved) setText((t) => ({ stdout: t.stdout + logs.stdout.data, stderr: t.stderr + logs.stderr.data, build: t.build + logs.build.data }));
          if (TERMINAL.includes(logs.status) && !moved) {
            setDone(true);
            return;
          }
        }
        await new Promise((r) => setTimeout(r, 700));
      }
    };
    void poll();
    return () => { stop = true; };
  }, [name]);
  return (
    <div className="logs">
      <div className="muted">{done ? 'The job has ended: these are its complete logs.' : 'Following the logs as the job writes them…'}</div>
      <h3>user_logs/std_log.txt (stdout)</h3>
      <pre className="log" data-testid="stdout">{text.stdout || '(nothing yet)'}</pre>
      <h3>stderr</h3>
      <pre className="log" data-testid="stderr">{text.stderr || '(nothing)'}</pre>
      {text.build && (<><h3>environment build</h3><pre className="log">{text.build}</pre></>)}
    </div>
  );
}

function Params({ runId }: { runId: string }) {
  const { data } = useData(() => client.runs.get(runId), [runId]);
  const params = data?.run.data.params ?? [];
  if (!data) return null;
  if (!params.length) return <div className="muted">No params.</div>;
  return <Fields rows={params.map((p) => [p.key, p.value] as [string, string])} />;
}

/** A pipeline job as a designer draft of its own name, opened on the canvas (a copy: the job is unchanged). */
async function openInDesigner(job: JobJson): Promise<void> {
  await client.files.upload(`designer/${job.name}.json`, JSON.stringify(draftFromJob(job, job.name), null, 1));
  go('designer', job.name);
}

function Steps({ job }: { job: JobJson }) {
  if (job.type === 'pipeline') {
    return (
      <>
      <button onClick={() => void openInDesigner(job)} data-testid="open-in-designer">Open in designer</button>
      <PipelineGraph job={job} />
      <table className="grid" data-testid="steps">
        <thead><tr><th>Step</th><th>Status</th><th>Depends on</th><th>Reuse</th></tr></thead>
        <tbody>{Object.entries<any>(job.jobs ?? {}).map(([step, s]) => (
          <tr key={step}>
            <td>{s.job_name ? <Link to={['jobs', s.job_name]}>{step}</Link> : step}</td>
            <td><Status value={s.status} /></td>
            <td>{(s.depends_on ?? []).join(', ')}</td>
            <td>{s.reused ? `reused from ${s.reused_from}` : s.reuse_reason ?? ''}</td>
          </tr>
        ))}</tbody>
      </table>
      </>
    );
  }
  const metric = job.objective?.primary_metric ?? 'metric';
  const trials = ((job.trials ?? []) as { name: string; params?: Record<string, unknown>; [k: string]: unknown }[])
    .map((t) => ({ name: t.name, params: t.params ?? {}, metric: typeof t[metric] === 'number' ? (t[metric] as number) : undefined }));
  return (
    <div>
      <ParallelCoordinates trials={trials} metric={metric} maximize={String(job.objective?.goal ?? '').toLowerCase() === 'maximize'} />
      {job.best_trial && <p>Best trial: <Link to={['jobs', job.best_trial.name]}>{job.best_trial.name}</Link> {JSON.stringify(job.best_trial.params)} ({metric} = {String(job.best_trial[metric] ?? '')})</p>}
      <table className="grid" data-testid="trials">
        <thead><tr><th>Trial</th><th>Status</th><th>Parameters</th><th>{metric}</th><th>Stopped early</th></tr></thead>
        <tbody>{(job.trials ?? []).map((t: any) => (
          <tr key={t.name}><td><Link to={['jobs', t.name]}>{t.name}</Link></td><td><Status value={t.status} /></td><td>{JSON.stringify(t.params)}</td><td>{t[metric] ?? ''}</td><td>{t.early_terminated ?? ''}</td></tr>
        ))}</tbody>
      </table>
    </div>
  );
}

/** An AutoML job's trials best first (each a child run), the best model's output and what its features weigh. */
interface AutomlJob {
  name: string;
  status: string;
  task?: string;
  target_column_name?: string;
  primary_metric?: string;
  limits?: { timeout_minutes?: number; max_trials?: number };
  training?: { allowed_training_algorithms?: string[] };
  properties?: Record<string, string>;
  leaderboard?: { run_id: string; algorithm?: string; hyperparameters?: Record<string, string>; [metric: string]: unknown }[];
}

function Leaderboard({ job, runId }: { job: AutomlJob; runId?: string }) {
  const metric = job.primary_metric ?? '';
  const { data: importance } = useData(async () => {
    if (!runId) return [];
    const run = (await client.runs.get(runId)).run;
    const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
    const res = await client.fetchArtifact(`${root}/feature_importance.json`).catch(() => undefined);
    return res ? ((await res.json()) as { feature_importance: { feature: string; importance: number }[] }).feature_importance : [];
  }, [runId, job.status]);
  const top = (importance ?? []).slice(0, 15);
  const most = Math.max(...top.map((f) => f.importance), 1e-12);
  return (
    <div>
      <Fields rows={[
        ['Task', job.task], ['Target column', job.target_column_name], ['Primary metric', metric],
        ['Algorithms', (job.training?.allowed_training_algorithms ?? []).join(', ')],
        ['Limits', `${job.limits?.timeout_minutes} min${job.limits?.max_trials ? `, at most ${job.limits.max_trials} trials` : ''}`],
        ['Best trial', job.properties?.automl_best_child_run_id],
        ['Best model', job.status === 'Completed' ? <code className="cmd">stratus model create -n {job.name}-best --type mlflow_model --path azureml://jobs/{job.name}/outputs/best_model</code> : undefined],
      ]} />
      <table className="grid" data-testid="leaderboard">
        <thead><tr><th>#</th><th>Algorithm</th><th>{metric}</th><th>Hyperparameters</th><th>Run</th></tr></thead>
        <tbody>{(job.leaderboard ?? []).map((t, i) => (
          <tr key={t.run_id}><td>{i + 1}</td><td>{t.algorithm}</td><td>{typeof t[metric] === 'number' ? (t[metric] as number).toPrecision(5) : ''}</td>
            <td className="muted">{Object.entries(t.hyperparameters ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')}</td><td className="muted">{t.run_id}</td></tr>
        ))}</tbody>
      </table>
      {!job.leaderboard?.length && <div className="muted">No trials yet: they appear as the search finishes them.</div>}
      {top.length > 0 && (
        <div data-testid="feature-importance">
          <h3>Feature importance (best model)</h3>
          {top.map((f) => (
            <div key={f.feature} className="bar-row"><span className="bar-label">{f.feature}</span>
              <span className="bar" style={{ display: 'inline-block', height: '0.8em', background: 'var(--accent, #2f6fdf)', width: `${Math.max(1, (f.importance / most) * 60)}%` }} />
              <span className="muted"> {f.importance.toPrecision(3)}</span></div>
          ))}
        </div>
      )}
    </div>
  );
}

export function JobPage({ name, tab }: { name: string; tab?: string }) {
  const { data: job, error, reload } = useData(() => client.jobs.get(name), [name], 2000);
  const [busy, setBusy] = useState(false);
  if (error) return <ErrorNote error={error} />;
  if (!job) return <div className="muted">Loading {name}…</div>;
  const runId = job.properties?.['mlflow.run_id'];
  const composite = job.type === 'pipeline' || job.type === 'sweep';
  const tabs = [
    {
      id: 'overview', label: 'Overview', body: () => (
        <div>
          {job.error && <div className="error" role="alert"><strong>Failed:</strong> {job.error.message}{job.error.stderr_tail && <pre>{job.error.stderr_tail}</pre>}</div>}
          <Fields rows={[
            ['Status', <Status value={job.status} />], ['Type', job.type], ['Experiment', job.experiment_name], ['Compute', String(job.compute ?? '').replace(/^azureml:/, '')],
            ['Created', fmtTime(job.creation_context?.created_at)], ['Duration', fmtDuration(job.start_time, job.end_time)],
            ['Command', job.command && <code className="cmd">{job.command}</code>], ['Environment', job.environment],
            ['MLflow run', runId && <Link to={['experiments', String(job.properties?.['mlflow.experiment_id'] ?? ''), 'runs', runId]} testId="job-run">{runId}</Link>], ['Parent', job.parent_job_name && <Link to={['jobs', job.parent_job_name]}>{job.parent_job_name}</Link>],
            ['Reuse', job.reuse && (job.reuse.reused ? `reused from ${job.reuse.reused_from}` : job.reuse.reason)],
            ...Object.entries<any>(job.inputs ?? {}).map(([k, v]) => [`inputs.${k}`, v.value ?? v.path] as [string, string]),
            ...Object.entries<any>(job.outputs ?? {}).map(([k, v]) => [`outputs.${k}`, v.path] as [string, string]),
            ...Object.entries<string>(job.tags ?? {}).map(([k, v]) => [`tag ${k}`, v] as [string, string]),
            ...(job.notes ?? []).map((n: string, i: number) => [`note ${i + 1}`, n] as [string, string]),
          ]} />
          {composite && <Steps job={job} />}
        </div>
      ),
    },
    ...(job.type === 'automl' ? [{ id: 'models', label: 'Models', body: () => <Leaderboard job={job as unknown as AutomlJob} runId={runId} /> }] : []),
    ...(composite ? [] : [{ id: 'logs', label: 'Logs', body: () => <Logs name={name} /> }]),
    ...(runId ? [{ id: 'metrics', label: 'Metrics', body: () => <MetricCharts runIds={[runId]} /> }, { id: 'params', label: 'Params', body: () => <Params runId={runId} /> }] : []),
    ...(runId && !composite ? [{ id: 'artifacts', label: 'Artifacts', body: () => <ArtifactsOf runId={runId} /> }] : []),
    ...(Object.keys(job.outputs ?? {}).length && !composite ? [{
      id: 'outputs', label: 'Outputs', body: () => (
        <div>{Object.entries<any>(job.outputs ?? {}).map(([k, v]) => (
          <div key={k}><h3>{k}</h3><FileBrowser root={v.store_path ?? `jobs/${job.name}/named-outputs/${k}`} empty="This output is empty (or the job has not finished)." /></div>
        ))}</div>
      ),
    }] : []),
  ];
  return (
    <div>
      <div className="title-row">
        <h1>{job.display_name ?? job.name} <Status value={job.status} /></h1>
        {!TERMINAL.includes(job.status) && (
          <button className="danger" disabled={busy} onClick={async () => { setBusy(true); await client.jobs.cancel(name).catch(() => undefined); setBusy(false); void reload(); }}>Cancel job</button>
        )}
      </div>
      <div className="muted">{job.name}</div>
      <Tabs tabs={tabs} route={{ base: ['jobs', name], current: tab }} />
    </div>
  );
}

function ArtifactsOf({ runId }: { runId: string }) {
  const { data } = useData(() => client.runs.get(runId), [runId]);
  if (!data) return null;
  const root = data.run.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
  return <FileBrowser root={root} empty="No artifacts: files the job writes to ./outputs and ./logs land here." />;
}
