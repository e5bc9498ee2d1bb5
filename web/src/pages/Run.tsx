/**
 * One MLflow run, at MLflow's own address (#/experiments/<id>/runs/<run_id>, the link the MLflow
 * client prints): its description, params, metrics (a table of latest values and charts), tags
 * (editable), artifacts (browsed, previewed, downloaded), child runs, and the job and model
 * versions it is linked to. The chosen tab is in the address.
 */
import { useState } from 'react';
import type { Run } from '../../../src/specs/mlflow-entities.ts';
import { client, fmtDuration, fmtTime, useData } from '../api.ts';
import { ErrorNote, Fields, Status, Tabs } from '../components/Bits.tsx';
import { FileBrowser } from '../components/Files.tsx';
import { fmtMetric, MetricCharts } from '../components/MetricCharts.tsx';
import { Link } from '../router.tsx';

const NOTE = 'mlflow.note.content';
const tagOf = (run: Run, key: string) => run.data.tags?.find((t) => t.key === key)?.value;

function Description({ run, onSaved }: { run: Run; onSaved: () => void }) {
  const [editing, setEditing] = useState<string>();
  const text = tagOf(run, NOTE) ?? '';
  if (editing === undefined) {
    return (
      <div className="description" data-testid="description">
        {text ? <p>{text}</p> : <span className="muted">No description.</span>}{' '}
        <button onClick={() => setEditing(text)} data-testid="edit-description">Edit</button>
      </div>
    );
  }
  return (
    <form onSubmit={async (e) => { e.preventDefault(); await client.runs.setTag(run.info.run_id, NOTE, editing); setEditing(undefined); onSaved(); }}>
      <textarea rows={3} value={editing} onChange={(e) => setEditing(e.target.value)} aria-label="description" data-testid="description-text" />
      <button className="primary" type="submit" data-testid="save-description">Save</button> <button type="button" onClick={() => setEditing(undefined)}>Cancel</button>
    </form>
  );
}

/** The run's own tags (MLflow's system tags are shown in the fields above), each editable, and a new one. */
function TagEditor({ run, onSaved }: { run: Run; onSaved: () => void }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const tags = (run.data.tags ?? []).filter((t) => !t.key.startsWith('mlflow.'));
  const save = async (k: string, v: string) => {
    setError(undefined);
    try {
      await client.runs.setTag(run.info.run_id, k, v);
      onSaved();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div data-testid="tags">
      <table className="grid">
        <thead><tr><th>Tag</th><th>Value</th><th /></tr></thead>
        <tbody>{tags.map((t) => (
          <tr key={t.key}>
            <td>{t.key}</td><td>{t.value}</td>
            <td><button onClick={async () => { await client.runs.deleteTag(run.info.run_id, t.key); onSaved(); }} aria-label={`delete tag ${t.key}`}>Delete</button></td>
          </tr>
        ))}</tbody>
      </table>
      <form className="toolbar" onSubmit={(e) => { e.preventDefault(); if (key) void save(key, value).then(() => { setKey(''); setValue(''); }); }}>
        <input placeholder="tag" value={key} onChange={(e) => setKey(e.target.value)} data-testid="tag-key" />
        <input placeholder="value" value={value} onChange={(e) => setValue(e.target.value)} data-testid="tag-value" />
        <button type="submit" data-testid="add-tag">Set tag</button>
      </form>
      <ErrorNote error={error} />
    </div>
  );
}

function Overview({ run, reload }: { run: Run; reload: () => void }) {
  const metrics = [...(run.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const params = [...(run.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <div>
      <h3>Description</h3>
      <Description run={run} onSaved={reload} />
      <h3>Metrics</h3>
      {metrics.length ? (
        <table className="grid" data-testid="metrics-table">
          <thead><tr><th>Metric</th><th>Latest value</th><th>Step</th></tr></thead>
          <tbody>{metrics.map((m) => <tr key={m.key}><td>{m.key}</td><td title={String(m.value)}>{fmtMetric(Number(m.value))}</td><td>{m.step}</td></tr>)}</tbody>
        </table>
      ) : <div className="muted">No metrics.</div>}
      <h3>Parameters</h3>
      {params.length ? (
        <table className="grid" data-testid="params-table">
          <thead><tr><th>Parameter</th><th>Value</th></tr></thead>
          <tbody>{params.map((p) => <tr key={p.key}><td>{p.key}</td><td>{p.value}</td></tr>)}</tbody>
        </table>
      ) : <div className="muted">No parameters.</div>}
      <h3>Tags</h3>
      <TagEditor run={run} onSaved={reload} />
    </div>
  );
}

export function RunPage({ experimentId, runId, tab }: { experimentId: string; runId: string; tab?: string }) {
  const { data, error, reload } = useData(async () => {
    const run = (await client.runs.get(runId)).run;
    const experiment = await client.experiments.get(run.info.experiment_id).then((r) => r.experiment, () => undefined);
    const children = (await client.runs.search({ experiment_ids: [run.info.experiment_id], filter: `tags.mlflow.parentRunId = '${runId}'`, max_results: 1000 })).runs ?? [];
    const versions = (await client.registry.searchVersions(`run_id = '${runId}'`).catch(() => ({ model_versions: [] }))).model_versions ?? [];
    return { run, experiment, children, versions };
  }, [runId], 5000);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <div className="muted">Loading run {runId}…</div>;
  const { run, experiment, children, versions } = data;
  const parent = tagOf(run, 'mlflow.parentRunId');
  const job = tagOf(run, 'stratus.job');
  const artifactRoot = run.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
  const tabs = [
    { id: 'overview', label: 'Overview', body: () => <Overview run={run} reload={() => void reload()} /> },
    { id: 'metrics', label: 'Model metrics', body: () => <MetricCharts runIds={[runId]} /> },
    { id: 'artifacts', label: 'Artifacts', body: () => <FileBrowser root={artifactRoot} empty="This run has no artifacts. In the code: mlflow.log_artifact(path), mlflow.log_dict(d, 'x.json'), mlflow.log_figure(fig, 'x.png')." /> },
    ...(children.length ? [{
      id: 'children', label: `Child runs (${children.length})`, body: () => (
        <table className="grid" data-testid="child-runs">
          <thead><tr><th>Run</th><th>Status</th><th>Started</th><th>Metrics</th></tr></thead>
          <tbody>{children.map((c) => (
            <tr key={c.info.run_id}>
              <td><Link to={['experiments', c.info.experiment_id, 'runs', c.info.run_id]}>{c.info.run_name ?? c.info.run_id}</Link></td>
              <td><Status value={c.info.status} /></td><td>{fmtTime(Number(c.info.start_time))}</td>
              <td>{(c.data.metrics ?? []).slice(0, 4).map((m) => `${m.key}=${fmtMetric(Number(m.value))}`).join('  ')}</td>
            </tr>
          ))}</tbody>
        </table>
      ),
    }] : []),
  ];
  return (
    <div>
      <div className="crumbs-line muted">
        <Link to={['experiments']}>Experiments</Link> › <Link to={['experiments', run.info.experiment_id]}>{experiment?.name ?? run.info.experiment_id}</Link>
        {experimentId !== run.info.experiment_id && <> (this run is in experiment {run.info.experiment_id})</>}
      </div>
      <div className="title-row"><h1 data-testid="run-name">{run.info.run_name ?? run.info.run_id} <Status value={run.info.status} /></h1></div>
      <Fields rows={[
        ['Run ID', <code className="cmd">{run.info.run_id}</code>],
        ['Started', fmtTime(Number(run.info.start_time))], ['Duration', fmtDuration(Number(run.info.start_time), run.info.end_time ? Number(run.info.end_time) : undefined)],
        ['Source', tagOf(run, 'mlflow.source.name')], ['User', tagOf(run, 'mlflow.user')],
        ['Parent run', parent && <Link to={['experiments', run.info.experiment_id, 'runs', parent]} testId="parent-run">{parent}</Link>],
        ['Job', job && <Link to={['jobs', job]} testId="run-job">{job}</Link>],
        ['Registered models', versions.length ? <span data-testid="run-models">{versions.map((v, i) => <span key={`${v.name}:${v.version}`}>{i ? ', ' : ''}<Link to={['models', String(v.name), String(v.version)]}>{String(v.name)} v{String(v.version)}</Link></span>)}</span> : undefined],
      ]} />
      <Tabs tabs={tabs} route={{ base: ['experiments', experimentId, 'runs', runId], current: tab }} />
    </div>
  );
}
