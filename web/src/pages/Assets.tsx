/** Data assets (with a preview and per-column statistics), environments (spec, build state, build log) and computes (their jobs). */
import { useMemo, useState } from 'react';
import type { AssetJson, ComputeJson, DataJson, EnvironmentJson, JobJson } from '../../../src/client/index.ts';
import { client, fmtTime, useData } from '../api.ts';
import { Code, Empty, ErrorNote, Fields, Status } from '../components/Bits.tsx';
import { Table } from '../components/Table.tsx';
import { Link } from '../router.tsx';

/** A list of name:version assets on the left, the chosen one on the right. */
function AssetList<A extends AssetJson>({ kind, assets, name, version, children }: {
  kind: string; assets: A[]; name?: string; version?: string; children: (a: A) => React.ReactNode;
}) {
  const chosen = assets.find((a) => a.name === name && (!version || a.version === version)) ?? (name ? undefined : assets[0]);
  return (
    <div className="split">
      <div className="side">
        {assets.map((a) => (
          <a key={`${a.name}:${a.version}`} href={`#/${kind}/${encodeURIComponent(a.name)}/${encodeURIComponent(a.version)}`}
            className={chosen && a.name === chosen.name && a.version === chosen.version ? 'active item' : 'item'}>{a.name} <span className="muted">v{a.version}</span></a>
        ))}
      </div>
      <div className="grow">{chosen ? children(chosen) : <div className="muted">Choose one on the left.</div>}</div>
    </div>
  );
}

function DataPreviewView({ asset }: { asset: DataJson }) {
  const { data, error } = useData(() => client.data.preview(asset.name, asset.version, 20), [asset.name, asset.version]);
  return (
    <div>
      <h2>{asset.name} <span className="muted">version {asset.version}</span></h2>
      <Fields rows={[['Type', asset.type], ['Path', asset.path], ['Description', asset.description], ['Created', fmtTime(asset.creation_context?.created_at)]]} />
      <ErrorNote error={error} />
      {data && (
        <>
          <h3>First rows of {data.file} ({data.row_count} rows)</h3>
          <div className="scroll-x">
            <table className="grid" data-testid="data-preview">
              <thead><tr>{data.columns.map((c) => <th key={c.name}>{c.name}<div className="muted small">{c.type}</div></th>)}</tr></thead>
              <tbody>{data.rows.map((r, i) => <tr key={i}>{data.columns.map((c) => <td key={c.name}>{String(r[c.name] ?? '')}</td>)}</tr>)}</tbody>
            </table>
          </div>
          <h3>Column statistics</h3>
          <table className="grid" data-testid="data-stats">
            <thead><tr><th>column</th><th>type</th><th>min</th><th>max</th><th>mean</th><th>std</th><th>distinct</th><th>nulls %</th></tr></thead>
            <tbody>{data.stats.map((s) => (
              <tr key={s.column}><td>{s.column}</td><td>{s.type}</td><td>{String(s.min ?? '')}</td><td>{String(s.max ?? '')}</td>
                <td>{s.mean === null || s.mean === undefined ? '' : Number(s.mean).toPrecision(4)}</td><td>{s.std === null || s.std === undefined ? '' : Number(s.std).toPrecision(4)}</td>
                <td>{String(s.distinct ?? '')}</td><td>{String(s.nulls_percent ?? '')}</td></tr>
            ))}</tbody>
          </table>
        </>
      )}
    </div>
  );
}

export function DataPage({ name, version }: { name?: string; version?: string }) {
  const { data, error } = useData(() => client.data.list(), [], 5000);
  return (
    <div>
      <h1>Data</h1>
      <ErrorNote error={error} />
      {data && data.value.length === 0 ? (
        <Empty title="No data assets">Register a CSV or Parquet file or folder: <Code>stratus data create --name iris --type uri_file --path ./iris.csv</Code></Empty>
      ) : data && <AssetList kind="data" assets={data.value} name={name} version={version}>{(a) => <DataPreviewView asset={a} />}</AssetList>}
    </div>
  );
}

function EnvironmentView({ env }: { env: EnvironmentJson }) {
  const { data: build } = useData(() => client.environments.build(env.name, env.version), [env.name, env.version], 3000);
  return (
    <div>
      <h2>{env.name} <span className="muted">version {env.version}</span></h2>
      <Fields rows={[['Image', env.image], ['Description', env.description], ['Build', build && <Status value={build.state} />], ['Spec hash', build?.hash], ['Created', fmtTime(env.creation_context?.created_at)]]} />
      {env.curated === true && <div className="muted" data-testid="curated">Curated: jobs name it <code>azureml:{env.name}@latest</code>.</div>}
      {Array.isArray(env.notes) && env.notes.length > 0 && (
        <><h3>Where it differs from Azure's definition</h3><ul data-testid="curated-differences">{(env.notes as string[]).map((n) => <li key={n}>{n}</li>)}</ul></>
      )}
      <h3>Conda file</h3>
      <pre className="preview" data-testid="conda">{env.conda_file ?? '(none: the host Python is used)'}</pre>
      <h3>Build log</h3>
      <pre className="log" data-testid="build-log">{build?.log ?? build?.note ?? 'Not built yet: the first job or deployment that uses it builds it.'}</pre>
    </div>
  );
}

export function EnvironmentsPage({ name, version }: { name?: string; version?: string }) {
  const { data, error } = useData(() => client.environments.list(), [], 5000);
  return (
    <div>
      <h1>Environments</h1>
      <ErrorNote error={error} />
      {data && data.value.length === 0 ? (
        <Empty title="No registered environments">Register one from a conda file: <Code>stratus environment create --file env.yml</Code>. Jobs can also name the curated <Code>azureml:AzureML-sklearn-1.5@latest</Code>.</Empty>
      ) : data && <AssetList kind="environments" assets={data.value} name={name} version={version}>{(a) => <EnvironmentView env={a} />}</AssetList>}
    </div>
  );
}

function ComputeJobs({ compute }: { compute: string }) {
  const { data } = useData(() => client.jobs.list({ compute, max_results: '500' }), [compute], 2000);
  const jobs = useMemo(() => (data?.value ?? []).filter((j) => ['Queued', 'Preparing', 'Running', 'Finalizing'].includes(j.status)), [data]);
  return (
    <div>
      <h3>Running and queued jobs</h3>
      {jobs.length === 0 ? <div className="muted">Idle: no job is running or waiting here.</div> : (
        <Table<JobJson> testId="compute-jobs" rows={jobs} rowKey={(j) => j.name} height={300} columns={[
          { key: 'name', label: 'Job', render: (j) => <Link to={['jobs', j.name]}>{j.display_name ?? j.name}</Link> },
          { key: 'status', label: 'Status', render: (j) => <Status value={j.status} /> },
          { key: 'experiment_name', label: 'Experiment' },
        ]} />
      )}
    </div>
  );
}

/** Start, stop and restart, enabled for the states they apply to. */
function LifecycleButtons({ compute, onError }: { compute: ComputeJson; onError: (e?: string) => void }) {
  const state = compute.state ?? 'Unknown';
  const act = (fn: (n: string) => Promise<unknown>) => fn(compute.name).then(() => onError(undefined), (err) => onError((err as Error).message));
  return (
    <>
      <button onClick={() => void act(client.computes.start)} disabled={!['Stopped', 'Failed'].includes(state)}>Start</button>
      <button onClick={() => void act(client.computes.stop)} disabled={!['Running', 'Failed'].includes(state)}>Stop</button>
      <button onClick={() => void act(client.computes.restart)} disabled={!['Running', 'Stopped', 'Failed'].includes(state)}>Restart</button>
    </>
  );
}

/** A Spark cluster: state and why, master, workers alive and their nodes, resize, start/stop/restart. */
/** The studio's token for a service's first page load (a proxied UI keeps it from there). */
const serviceToken = () => (client.credentials ? `?token=${encodeURIComponent(client.credentials)}` : '');

function ServiceLinks({ compute }: { compute: ComputeJson }) {
  return <>{(compute.services ?? []).map((s) => <a key={s.display_name} className="button" href={`${s.endpoint_uri}${serviceToken()}`} target="_blank" rel="noreferrer">Open {s.display_name}</a>)}</>;
}

function SparkClusterView({ cluster }: { cluster: ComputeJson }) {
  const [error, setError] = useState<string>();
  const [workers, setWorkers] = useState(String(cluster.workers ?? 1));
  const resize = () => client.computes.resize(cluster.name, Number(workers)).then(() => setError(undefined), (err) => setError((err as Error).message));
  return (
    <div>
      <Fields rows={[
        ['Type', 'Spark cluster (standalone)'], ['State', <Status value={cluster.state ?? 'Unknown'} />], ['Why', cluster.state_reason],
        ['Workers', `${cluster.alive_workers ?? 0} alive of ${cluster.workers ?? 1} (${cluster.worker_cores ?? 1} cores, ${cluster.worker_memory ?? '1g'} each)`],
        ['Master', cluster.master_url], ['Drivers at once', String(cluster.max_instances)],
        ['Idle shutdown', cluster.idle_time_before_shutdown_minutes ? `after ${cluster.idle_time_before_shutdown_minutes} min with no application` : 'never'],
      ]} />
      {(cluster.nodes ?? []).length > 0 && (
        <table className="grid" data-testid="spark-nodes"><thead><tr><th>Worker</th><th>State</th></tr></thead>
          <tbody>{(cluster.nodes ?? []).map((n) => <tr key={n.id}><td>{n.id}</td><td><Status value={n.state} /></td></tr>)}</tbody></table>
      )}
      <div className="toolbar">
        <input aria-label="workers" type="number" min={0} max={64} value={workers} onChange={(e) => setWorkers(e.target.value)} style={{ width: 80 }} />
        <button onClick={() => void resize()} disabled={cluster.state !== 'Running' && cluster.state !== 'Stopped'}>Resize</button>
        <ServiceLinks compute={cluster} />
        <LifecycleButtons compute={cluster} onError={setError} />
      </div>
      <ErrorNote error={error} />
    </div>
  );
}

/** A compute instance: its state and why, its Jupyter links, and start/stop/restart. */
function InstanceView({ instance }: { instance: ComputeJson }) {
  const [error, setError] = useState<string>();
  const state = instance.state ?? 'Unknown';
  return (
    <div>
      <Fields rows={[
        ['Type', 'compute instance (Jupyter)'], ['State', <Status value={state} />], ['Why', instance.state_reason], ['Size', instance.size],
        ['Assigned to', instance.create_on_behalf_of?.user_object_id],
        ['Idle shutdown', instance.idle_time_before_shutdown_minutes ? `after ${instance.idle_time_before_shutdown_minutes} min without kernel activity` : 'never'],
        ['Environment', instance.environment], ['Last activity', instance.last_activity ? fmtTime(instance.last_activity) : undefined],
      ]} />
      <div className="toolbar">
        <ServiceLinks compute={instance} />
        <a href="#/notebooks/Users">Notebooks</a>
        <LifecycleButtons compute={instance} onError={setError} />
      </div>
      <ErrorNote error={error} />
    </div>
  );
}

export function ComputesPage({ name }: { name?: string }) {
  const { data, error } = useData(() => client.computes.list(), [], 5000);
  const computes = data?.value ?? [];
  const chosen = computes.find((c) => c.name === name) ?? computes[0];
  return (
    <div>
      <h1>Computes</h1>
      <ErrorNote error={error} />
      <div className="split">
        <div className="side">{computes.map((c) => <a key={c.name} href={`#/computes/${encodeURIComponent(c.name)}`} className={c.name === chosen?.name ? 'active item' : 'item'}>{c.name}</a>)}</div>
        <div className="grow">{chosen && (
          <div>
            <h2>{chosen.name}</h2>
            {chosen.type === 'computeinstance' ? <InstanceView instance={chosen} /> : chosen.type === 'spark' ? <SparkClusterView cluster={chosen} /> : (
              <Fields rows={[['Type', chosen.type], ['Max instances', String(chosen.max_instances)], ['Size', chosen.size], ['Description', chosen.description]]} />
            )}
            <ComputeJobs compute={chosen.name} />
          </div>
        )}</div>
      </div>
    </div>
  );
}
