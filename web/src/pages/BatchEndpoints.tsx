/**
 * Batch endpoints: each endpoint's deployments and its scoring jobs with their progress (the
 * mini-batches the driver reports as metrics), and a form that invokes it over a data asset.
 */
import { useState } from 'react';
import { client, useData } from '../api.ts';
import { Code, Empty, ErrorNote, Fields, Status } from '../components/Bits.tsx';
import { Table } from '../components/Table.tsx';
import { Link } from '../router.tsx';

type Row = Record<string, any>;
interface Progress { completed: number; failed: number; total: number }

export function BatchEndpointsPage() {
  const { data, error } = useData(() => client.batchEndpoints.list(), [], 5000);
  const endpoints = (data?.value ?? []) as Row[];
  return (
    <div>
      <h1>Batch endpoints</h1>
      <ErrorNote error={error} />
      {data && endpoints.length === 0 ? (
        <Empty title="No batch endpoints">
          Create one from Azure ML's YAML: <Code>stratus batch-endpoint create --file endpoint.yml</Code> then
          <Code>stratus batch-deployment create --file deployment.yml</Code> and score a folder with
          <Code>stratus batch-endpoint invoke -n &lt;name&gt; --input ./data</Code>.
        </Empty>
      ) : (
        <Table<Row>
          testId="batch-endpoints-table"
          rows={endpoints}
          rowKey={(e) => e.name}
          columns={[
            { key: 'name', label: 'Name', render: (e) => <Link to={['batch-endpoints', e.name]}>{e.name}</Link> },
            { key: 'default', label: 'Default deployment', render: (e) => e.defaults?.deployment_name ?? '–' },
            { key: 'auth_mode', label: 'Auth', width: '110px' },
            { key: 'description', label: 'Description', render: (e) => e.description ?? '' },
            { key: 'created_by', label: 'Created by', render: (e) => e.creation_context?.created_by ?? '', width: '130px' },
          ]}
        />
      )}
    </div>
  );
}

export function ProgressBar({ progress, status }: { progress?: Progress; status: string }) {
  if (!progress) return <span className="muted">{status === 'Queued' || status === 'Preparing' ? 'starting…' : '–'}</span>;
  const { completed, failed, total } = progress;
  return (
    <span className="batch-progress" data-testid="batch-progress">
      <progress max={total || 1} value={completed + failed} /> {completed}/{total}{failed ? <span className="error small"> ({failed} failed)</span> : null}
    </span>
  );
}

function InvokeForm({ endpoint, deployments, onStarted }: { endpoint: string; deployments: string[]; onStarted: () => void }) {
  const [input, setInput] = useState('');
  const [deployment, setDeployment] = useState('');
  const [error, setError] = useState<string>();
  const [started, setStarted] = useState<string>();
  const invoke = async () => {
    setError(undefined);
    try {
      const job = await client.batchEndpoints.invoke(endpoint, { input: input.trim(), deployment_name: deployment || undefined });
      setStarted(String(job.name));
      onStarted();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form className="toolbar" onSubmit={(e) => { e.preventDefault(); void invoke(); }}>
      <input aria-label="input data" placeholder="azureml:<data>:<version> or azureml://datastores/…" value={input} onChange={(e) => setInput(e.target.value)} size={48} />
      <select aria-label="deployment" value={deployment} onChange={(e) => setDeployment(e.target.value)}>
        <option value="">default deployment</option>
        {deployments.map((d) => <option key={d} value={d}>{d}</option>)}
      </select>
      <button type="submit" className="primary" disabled={!input.trim()} data-testid="invoke">Invoke</button>
      <ErrorNote error={error} />
      {started && <span>Started <Link to={['jobs', started]}>{started}</Link>.</span>}
    </form>
  );
}

export function BatchEndpointPage({ name }: { name: string }) {
  const { data: endpoint, error } = useData(() => client.batchEndpoints.show(name), [name], 5000);
  const { data: deps } = useData(() => client.batchDeployments.list(name), [name], 5000);
  const { data: jobs, reload } = useData(() => client.batchEndpoints.listJobs(name), [name], 2000);
  if (error) return <ErrorNote error={error} />;
  if (!endpoint) return <div className="muted">Loading {name}…</div>;
  const deployments = (deps?.value ?? []) as Row[];
  return (
    <div>
      <h1>{endpoint.name}</h1>
      <Fields rows={[['Scoring URI', <code className="cmd">{String(endpoint.scoring_uri)}</code>], ['Auth', String(endpoint.auth_mode)],
        ['Default deployment', String((endpoint.defaults as Row).deployment_name ?? '–')]]} />
      <h2>Deployments</h2>
      <table className="grid" data-testid="batch-deployments">
        <thead><tr><th>Deployment</th><th>Type</th><th>Model / component</th><th>Workers</th><th>Mini-batch</th><th>Retries</th><th>Error threshold</th><th>Output</th></tr></thead>
        <tbody>{deployments.map((d) => (
          <tr key={d.name}>
            <td>{d.name}</td><td>{d.type}</td><td>{d.model ?? d.component ?? ''}</td>
            <td>{d.type === 'model' ? d.instance_count * d.settings.max_concurrency_per_instance : '–'}</td>
            <td>{d.type === 'model' ? `${d.settings.mini_batch_size} files` : '–'}</td>
            <td>{d.type === 'model' ? `${d.settings.retry_settings.max_retries} × ${d.settings.retry_settings.timeout} s` : '–'}</td>
            <td>{d.type === 'model' ? d.settings.error_threshold : '–'}</td>
            <td>{d.type === 'model' ? `${d.settings.output_action} → ${d.settings.output_file_name}` : 'the component\'s outputs'}</td>
          </tr>
        ))}</tbody>
      </table>
      <h2>Invoke</h2>
      <InvokeForm endpoint={name} deployments={deployments.map((d) => String(d.name))} onStarted={() => void reload()} />
      <h2>Jobs</h2>
      <Table<Row>
        testId="batch-jobs"
        rows={(jobs?.value ?? []) as Row[]}
        rowKey={(j) => j.name}
        columns={[
          { key: 'name', label: 'Job', render: (j) => <Link to={['jobs', j.name]}>{j.display_name ?? j.name}</Link> },
          { key: 'status', label: 'Status', render: (j) => <Status value={j.status} />, width: '120px' },
          { key: 'deployment', label: 'Deployment', render: (j) => j.tags?.['stratus.batch_deployment'] ?? '' },
          { key: 'progress', label: 'Mini-batches', render: (j) => <ProgressBar progress={j.batch_progress} status={j.status} /> },
          { key: 'started', label: 'Started', render: (j) => (j.start_time ? new Date(j.start_time).toLocaleString() : '–') },
        ]}
      />
    </div>
  );
}
