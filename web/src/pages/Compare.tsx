/** Runs side by side: metric charts overlaid, params in columns with the differences marked. */
import { client, useData } from '../api.ts';
import { ErrorNote } from '../components/Bits.tsx';
import { useRoute } from '../router.tsx';
import { MetricCharts } from '../components/MetricCharts.tsx';

export function ComparePage() {
  const { parts } = useRoute();
  const ids = (parts[1] ?? '').split(',').filter(Boolean);
  const { data, error } = useData(() => Promise.all(ids.map((id) => client.runs.get(id).then((r) => r.run))), [ids.join(',')]);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <div className="muted">Loading runs…</div>;
  const names = Object.fromEntries(data.map((r) => [r.info.run_id, r.info.run_name ?? r.info.run_id]));
  const keys = [...new Set(data.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  const metricKeys = [...new Set(data.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const cell = (r: (typeof data)[number], key: string) => r.data.params?.find((p) => p.key === key)?.value;
  const metric = (r: (typeof data)[number], key: string) => r.data.metrics?.find((m) => m.key === key)?.value;
  return (
    <div>
      <h1>Comparing {data.length} runs</h1>
      <h2>Params</h2>
      <table className="grid" data-testid="compare-params">
        <thead><tr><th>param</th>{data.map((r) => <th key={r.info.run_id}>{names[r.info.run_id]}</th>)}</tr></thead>
        <tbody>{keys.map((k) => {
          const differs = new Set(data.map((r) => cell(r, k))).size > 1;
          return <tr key={k} className={differs ? 'differs' : ''} data-differs={differs}><td>{k}</td>{data.map((r) => <td key={r.info.run_id}>{cell(r, k) ?? '—'}</td>)}</tr>;
        })}</tbody>
      </table>
      <h2>Latest metrics</h2>
      <table className="grid" data-testid="compare-metrics">
        <thead><tr><th>metric</th>{data.map((r) => <th key={r.info.run_id}>{names[r.info.run_id]}</th>)}</tr></thead>
        <tbody>{metricKeys.map((k) => {
          const differs = new Set(data.map((r) => metric(r, k))).size > 1;
          return <tr key={k} className={differs ? 'differs' : ''}><td>{k}</td>{data.map((r) => <td key={r.info.run_id}>{metric(r, k) ?? '—'}</td>)}</tr>;
        })}</tbody>
      </table>
      <h2>Metric charts</h2>
      <MetricCharts runIds={ids} labels={names} />
    </div>
  );
}
