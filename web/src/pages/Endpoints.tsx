/**
 * Online endpoints: deployments with their provisioning state, the traffic split (sliders that
 * must add up to 100), keys hidden until asked, a test console, live request/latency/error
 * charts and the deployments' logs.
 */
import { useEffect, useRef, useState } from 'react';
import type { EndpointJson } from '../../../src/client/index.ts';
import { client, useData } from '../api.ts';
import { sampleRequest } from '../modelFiles.ts';
import { Code, Empty, ErrorNote, Fields, Status } from '../components/Bits.tsx';
import { LineChart, type Series } from '../components/Chart.tsx';
import { Table } from '../components/Table.tsx';
import { Link } from '../router.tsx';

export function EndpointsPage() {
  const { data, error } = useData(() => client.endpoints.list(), [], 3000);
  const endpoints = data?.value ?? [];
  return (
    <div>
      <h1>Endpoints</h1>
      <ErrorNote error={error} />
      {data && endpoints.length === 0 ? (
        <Empty title="No online endpoints">
          Deploy a registered model with the <strong>Deploy</strong> button on its page under <Link to={['models']}>Models</Link>, or from YAML:
          <Code>stratus online-endpoint create --file endpoint.yml</Code> then <Code>stratus online-deployment create --file blue.yml --all-traffic</Code>.
        </Empty>
      ) : (
        <Table<EndpointJson>
          testId="endpoints-table"
          rows={endpoints}
          rowKey={(e) => e.name}
          columns={[
            { key: 'name', label: 'Name', render: (e) => <Link to={['endpoints', e.name]}>{e.name}</Link> },
            { key: 'provisioning_state', label: 'State', render: (e) => <Status value={e.provisioning_state} />, width: '130px' },
            { key: 'traffic', label: 'Traffic', render: (e) => Object.entries(e.traffic).map(([d, w]) => `${d} ${w}%`).join(', ') },
            { key: 'auth_mode', label: 'Auth', width: '100px' },
            { key: 'created_by', label: 'Created by', value: (e) => (e.creation_context as { created_by?: string } | undefined)?.created_by, render: (e) => (e.creation_context as { created_by?: string } | undefined)?.created_by ?? '', width: '130px' },
          ]}
        />
      )}
    </div>
  );
}

function TrafficEditor({ endpoint, deployments, onSaved }: { endpoint: EndpointJson; deployments: string[]; onSaved: () => void }) {
  const [weights, setWeights] = useState<Record<string, number>>({});
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  useEffect(() => setWeights(Object.fromEntries(deployments.map((d) => [d, endpoint.traffic[d] ?? 0]))), [endpoint.name, deployments.join(','), JSON.stringify(endpoint.traffic)]);
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  const valid = total === 100 || total === 0;
  return (
    <div className="traffic" data-testid="traffic">
      {deployments.map((d) => (
        <label key={d} className="slider">
          <span>{d}</span>
          <input type="range" min={0} max={100} step={1} aria-label={`traffic ${d}`} value={weights[d] ?? 0}
            onChange={(e) => { setSaved(false); setWeights({ ...weights, [d]: Number(e.target.value) }); }} />
          <input type="number" min={0} max={100} aria-label={`traffic ${d} percent`} value={weights[d] ?? 0}
            onChange={(e) => { setSaved(false); setWeights({ ...weights, [d]: Number(e.target.value) }); }} />
          <span>%</span>
        </label>
      ))}
      <div className={valid ? 'muted' : 'error'} data-testid="traffic-total">Total {total}%{valid ? '' : ' — the split must add up to 100% (or 0%).'}</div>
      <button className="primary" disabled={!valid} onClick={async () => {
        try {
          await client.endpoints.update(endpoint.name, { traffic: weights });
          setError(undefined);
          setSaved(true);
          onSaved();
        } catch (err) { setError((err as Error).message); }
      }}>Save traffic</button>
      {saved && <span className="ok-note" data-testid="traffic-saved">Saved.</span>}
      <ErrorNote error={error} />
    </div>
  );
}

function Keys({ name }: { name: string }) {
  const [keys, setKeys] = useState<{ primaryKey: string; secondaryKey: string }>();
  return keys ? (
    <Fields rows={[['Primary key', <code className="cmd" data-testid="primary-key">{keys.primaryKey}</code>], ['Secondary key', <code className="cmd">{keys.secondaryKey}</code>]]} />
  ) : <button onClick={async () => setKeys(await client.endpoints.keys(name))} data-testid="show-keys">Show keys</button>;
}

function TestConsole({ endpoint, deployments }: { endpoint: EndpointJson; deployments: string[] }) {
  const [body, setBody] = useState('');
  // The first body fits the model that takes the most traffic: its example, or its signature.
  const served = Object.entries(endpoint.traffic).sort((a, b) => b[1] - a[1])[0]?.[0] ?? deployments[0];
  const model = (endpoint.deployments ?? []).find((d) => d.name === served)?.model;
  useEffect(() => {
    let live = true;
    void sampleRequest(typeof model === 'string' ? model : undefined).then((sample) => live && setBody((b) => b || sample));
    return () => { live = false; };
  }, [model]);
  const [deployment, setDeployment] = useState('');
  const [answer, setAnswer] = useState<{ status: number; body: string; ms: number; deployment?: string }>();
  const [error, setError] = useState<string>();
  const send = async () => {
    setError(undefined);
    try { JSON.parse(body); } catch (err) { setError(`The request is not valid JSON: ${(err as Error).message}`); return; }
    const { primaryKey } = await client.endpoints.keys(endpoint.name);
    const url = window.location.origin + new URL(endpoint.scoring_uri).pathname;
    const t = performance.now();
    const res = await client.endpoints.invoke(url, primaryKey, body, deployment || undefined);
    setAnswer({ ...res, ms: performance.now() - t });
  };
  return (
    <div className="console">
      <textarea aria-label="request body" rows={6} value={body} onChange={(e) => setBody(e.target.value)} />
      <div className="toolbar">
        <select aria-label="deployment" value={deployment} onChange={(e) => setDeployment(e.target.value)}>
          <option value="">by traffic</option>
          {deployments.map((d) => <option key={d} value={d}>{d}</option>)}
        </select>
        <button className="primary" onClick={() => void send()} data-testid="send">Send request</button>
      </div>
      <ErrorNote error={error} />
      {answer && (
        <div data-testid="answer">
          <div><Status value={answer.status < 300 ? 'Succeeded' : 'Failed'} /> HTTP {answer.status} in <span data-testid="latency">{answer.ms.toFixed(1)} ms</span>{answer.deployment ? ` from ${answer.deployment}` : ''}</div>
          <pre className="preview" data-testid="answer-body">{answer.body}</pre>
        </div>
      )}
    </div>
  );
}

/** Requests, errors and latency per deployment, sampled every 2 s while the page is open. */
function LiveCharts({ endpoint }: { endpoint: EndpointJson }) {
  const history = useRef<Record<string, { t: number; requests: number; errors: number; p50?: number; p99?: number }[]>>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const at = Date.now() / 1000;
    for (const d of endpoint.deployments ?? []) {
      const m = d.metrics;
      if (!m) continue;
      (history.current[d.name] ??= []).push({ t: at, requests: m.requests_total, errors: m.errors_total, p50: m.latency_ms?.p50, p99: m.latency_ms?.p99 });
      history.current[d.name] = history.current[d.name].slice(-300);
    }
    setTick((x) => x + 1);
  }, [endpoint]);
  const series = (pick: (s: { requests: number; errors: number; p50?: number; p99?: number }) => number | undefined, suffix = ''): Series[] =>
    Object.entries(history.current).map(([d, samples]) => ({ label: `${d}${suffix}`, points: samples.filter((s) => pick(s) !== undefined).map((s) => ({ x: s.t, y: pick(s)! })) }));
  return (
    <div className="charts" data-testid="live-charts" data-tick={tick}>
      <LineChart title="Requests (total)" series={series((s) => s.requests)} time xLabel="time" />
      <LineChart title="Latency p50 / p99 (ms)" series={[...series((s) => s.p50, ' p50'), ...series((s) => s.p99, ' p99')]} time xLabel="time" />
      <LineChart title="Errors (total)" series={series((s) => s.errors)} time xLabel="time" />
    </div>
  );
}

function DeploymentLogs({ endpoint, deployments }: { endpoint: string; deployments: string[] }) {
  const [which, setWhich] = useState(deployments[0]);
  const { data } = useData(() => (which ? client.deployments.logs(endpoint, which, 200) : Promise.resolve({ content: '' })), [endpoint, which], 4000);
  return (
    <div>
      <select aria-label="logs of deployment" value={which} onChange={(e) => setWhich(e.target.value)}>{deployments.map((d) => <option key={d}>{d}</option>)}</select>
      <pre className="log" data-testid="deployment-logs">{data?.content || '(no log lines yet)'}</pre>
    </div>
  );
}

export function EndpointPage({ name }: { name: string }) {
  const { data: endpoint, error, reload } = useData(() => client.endpoints.show(name), [name], 2000);
  const { data: deps } = useData(() => client.deployments.list(name), [name], 3000);
  if (error) return <ErrorNote error={error} />;
  if (!endpoint) return <div className="muted">Loading {name}…</div>;
  const deployments = (deps?.value ?? []).map((d) => d.name);
  return (
    <div>
      <h1>{endpoint.name} <Status value={endpoint.provisioning_state} /></h1>
      <Fields rows={[['Scoring URI', <code className="cmd">{endpoint.scoring_uri}</code>], ['Swagger URI', endpoint.swagger_uri], ['Auth', endpoint.auth_mode]]} />
      <h2>Deployments</h2>
      <table className="grid" data-testid="deployments">
        <thead><tr><th>Deployment</th><th>State</th><th>Model</th><th>Runtime</th><th>Workers</th><th>Requests</th><th>Errors</th><th>p50 / p99 ms</th></tr></thead>
        <tbody>{(deps?.value ?? []).map((d) => (
          <tr key={d.name}>
            <td>{d.name}</td><td><Status value={d.provisioning_state} />{d.error ? <div className="error small">{d.error}</div> : null}</td><td>{d.model}</td><td>{d.runtime}</td><td>{d.runtime === 'onnx' ? 'in-process' : d.workers}</td>
            <td>{d.metrics?.requests_total ?? 0}</td><td>{d.metrics?.errors_total ?? 0}</td><td>{d.metrics?.latency_ms?.p50 ?? "–"} / {d.metrics?.latency_ms?.p99 ?? "–"}</td>
          </tr>
        ))}</tbody>
      </table>
      <div className="two">
        <div>
          <h2>Traffic</h2>
          {deployments.length ? <TrafficEditor endpoint={endpoint} deployments={deployments} onSaved={() => void reload()} /> : <div className="muted">No deployments yet.</div>}
          <h2>Keys</h2>
          <Keys name={name} />
        </div>
        <div>
          <h2>Test</h2>
          <TestConsole endpoint={endpoint} deployments={deployments} />
        </div>
      </div>
      <h2>Live metrics</h2>
      <LiveCharts endpoint={endpoint} />
      <h2>Logs</h2>
      {deployments.length ? <DeploymentLogs endpoint={name} deployments={deployments} /> : null}
    </div>
  );
}
