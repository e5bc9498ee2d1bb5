/**
 * A run's (or several runs') metrics as the MLflow UI draws them: a chart per metric over step,
 * time or time since the run started, with smoothing and a log scale, and every metric's latest
 * value in a table (a metric logged once is a number, not a lonely dot).
 */
import { useMemo, useState } from 'react';
import { client, useData } from '../api.ts';
import { ErrorNote } from './Bits.tsx';
import { LineChart, type Series } from './Chart.tsx';

type XAxis = 'step' | 'time' | 'relative';
interface History { label: string; start: number; points: { step: number; timestamp: number; value: number }[] }

/** Exponential moving average, as MLflow's smoothing slider applies it (0 = raw). */
export function smooth(values: number[], weight: number): number[] {
  if (weight <= 0) return values;
  let last = values[0];
  return values.map((v) => (last = last * weight + (1 - weight) * v));
}

/** A number rounded for reading (six significant digits), never cut. */
export const fmtMetric = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-4 && v !== 0) ? v.toExponential(4) : String(Number(v.toPrecision(6))));

export function MetricCharts({ runIds, labels }: { runIds: string[]; labels?: Record<string, string> }) {
  const [xAxis, setXAxis] = useState<XAxis>('step');
  const [smoothing, setSmoothing] = useState(0);
  const [logY, setLogY] = useState(false);
  const { data, error } = useData(async () => {
    const runs = await Promise.all(runIds.map((id) => client.runs.get(id).then((r) => r.run)));
    const keys = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
    return Promise.all(keys.map(async (key) => ({
      key,
      histories: await Promise.all(runs.map(async (r): Promise<History> => ({
        label: labels?.[r.info.run_id] ?? r.info.run_name ?? r.info.run_id,
        start: Number(r.info.start_time),
        points: ((await client.runs.metricHistory(r.info.run_id, key)).metrics ?? []).map((m) => ({ step: Number(m.step), timestamp: Number(m.timestamp), value: Number(m.value) })),
      }))),
    })));
  }, [runIds.join(',')], 5000);
  const charts = useMemo(() => (data ?? []).map(({ key, histories }) => ({
    key,
    series: histories.map((h): Series => {
      const sorted = [...h.points].sort((a, b) => (xAxis === 'step' ? a.step - b.step || a.timestamp - b.timestamp : a.timestamp - b.timestamp));
      const ys = smooth(sorted.map((p) => p.value), smoothing);
      const x = (p: History['points'][number]) => (xAxis === 'step' ? p.step : xAxis === 'time' ? p.timestamp / 1000 : (p.timestamp - h.start) / 1000);
      return { label: h.label, points: sorted.map((p, i) => ({ x: x(p), y: ys[i] })).filter((p) => !logY || p.y > 0) };
    }),
  })), [data, xAxis, smoothing, logY]);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <div className="muted">Loading metrics…</div>;
  if (!data.length) return <div className="muted">No metrics logged. In the code: <code className="cmd">mlflow.log_metric("loss", value, step=epoch)</code>.</div>;
  return (
    <div>
      <div className="toolbar chart-options" data-testid="chart-options">
        <label>X axis <select value={xAxis} onChange={(e) => setXAxis(e.target.value as XAxis)} data-testid="x-axis">
          <option value="step">Step</option><option value="time">Time (wall)</option><option value="relative">Time (relative, s)</option>
        </select></label>
        <label>Smoothing <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} data-testid="smoothing" /> {smoothing.toFixed(2)}</label>
        <label><input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} data-testid="log-scale" /> Log scale</label>
      </div>
      <div className="charts" data-testid="metric-charts">
        {charts.map((c) => <LineChart key={`${c.key}-${xAxis}-${logY}`} title={c.key} series={c.series} xLabel={xAxis === 'step' ? 'step' : xAxis === 'time' ? 'time' : 'seconds'} time={xAxis === 'time'} logY={logY} testId={`chart-${c.key}`} />)}
      </div>
    </div>
  );
}
