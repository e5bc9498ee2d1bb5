/**
 * A sweep's trials as parallel coordinates (as MLflow and Azure ML draw them): an axis per
 * hyperparameter and one for the metric, a line per trial coloured by its metric, so the settings
 * of the good trials stand out. Numbers are scaled between their least and greatest value; text
 * values are spread evenly along their axis.
 */
export interface Trial { name: string; params: Record<string, unknown>; metric?: number }

const W = 900;
const H = 300;
const PAD = { top: 28, bottom: 24, side: 60 };

function axis(values: unknown[]) {
  const numbers = values.every((v) => v === undefined || v === null || (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)))));
  if (numbers) {
    const xs = values.filter((v) => v !== undefined && v !== null).map(Number);
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    return { ticks: [String(Number(hi.toPrecision(4))), String(Number(lo.toPrecision(4)))], at: (v: unknown) => (hi === lo ? 0.5 : (Number(v) - lo) / (hi - lo)) };
  }
  const levels = [...new Set(values.map(String))].sort();
  return { ticks: levels, at: (v: unknown) => (levels.length === 1 ? 0.5 : levels.indexOf(String(v)) / (levels.length - 1)), levels };
}

/** Blue (worst) to red (best). */
const colour = (t: number) => `hsl(${Math.round(220 - 220 * t)}, 70%, 45%)`;

export function ParallelCoordinates({ trials, metric, maximize }: { trials: Trial[]; metric: string; maximize: boolean }) {
  const scored = trials.filter((t) => typeof t.metric === 'number' && Number.isFinite(t.metric));
  if (scored.length < 2) return null;
  const names = [...new Set(scored.flatMap((t) => Object.keys(t.params)))].sort();
  const columns = [...names.map((n) => ({ label: n, ...axis(scored.map((t) => t.params[n])), value: (t: Trial) => t.params[n] })),
    { label: metric, ...axis(scored.map((t) => t.metric)), value: (t: Trial) => t.metric }];
  const x = (i: number) => PAD.side + (i * (W - 2 * PAD.side)) / Math.max(1, columns.length - 1);
  const y = (fraction: number) => H - PAD.bottom - fraction * (H - PAD.top - PAD.bottom);
  const metricAxis = columns[columns.length - 1];
  const goodness = (t: Trial) => { const f = metricAxis.at(t.metric); return maximize ? f : 1 - f; };
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="parallel" data-testid="parallel-coordinates" role="img" aria-label={`trials by ${names.join(', ')} and ${metric}`}>
      {[...scored].sort((a, b) => goodness(a) - goodness(b)).map((t) => (
        <polyline key={t.name} fill="none" stroke={colour(goodness(t))} strokeWidth={1.6} opacity={0.8}
          points={columns.map((c, i) => `${x(i)},${y(c.at(c.value(t)))}`).join(' ')}><title>{`${t.name}: ${metric} ${t.metric}`}</title></polyline>
      ))}
      {columns.map((c, i) => (
        <g key={c.label}>
          <line x1={x(i)} x2={x(i)} y1={PAD.top} y2={H - PAD.bottom} stroke="#57606a" />
          <text x={x(i)} y={14} textAnchor="middle" fontSize={12} fontWeight={600}>{c.label}</text>
          {'levels' in c && c.levels
            ? c.levels.map((l) => <text key={l} x={x(i) + 4} y={y(c.at(l)) + 4} fontSize={10}>{l}</text>)
            : <><text x={x(i) + 4} y={PAD.top + 4} fontSize={10}>{c.ticks[0]}</text><text x={x(i) + 4} y={H - PAD.bottom} fontSize={10}>{c.ticks[1]}</text></>}
        </g>
      ))}
    </svg>
  );
}
