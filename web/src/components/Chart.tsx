/** Line charts with uPlot: one or more series over a shared x axis (steps, or time). */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface Series { label: string; points: { x: number; y: number }[] }

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

export function LineChart({ title, series, xLabel = 'step', time = false, logY = false, height = 220, testId }: {
  title: string; series: Series[]; xLabel?: string; time?: boolean; logY?: boolean; height?: number; testId?: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [xs, ...series.map((s) => {
      const byX = new Map(s.points.map((p) => [p.x, p.y]));
      return xs.map((x) => byX.get(x) ?? null);
    })];
    const plot = new uPlot({
      title, width: Math.max(320, el.current.clientWidth), height,
      // One sample: a minute (or one step) either side, not uPlot's default span of years.
      scales: {
        x: { time, range: (_u, min, max) => (min === max ? [min - (time ? 60 : 1), max + (time ? 60 : 1)] : [min, max]) },
        ...(logY ? { y: { distr: 3 } } : {}),
      },
      axes: [{ label: xLabel }, {}],
      series: [{ label: xLabel }, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: xs.length < 60 } }))],
    }, data, el.current);
    const resize = () => plot.setSize({ width: Math.max(320, el.current!.clientWidth), height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [title, series, xLabel, time, logY, height]);
  return <div className="chart" ref={el} data-testid={testId} />;
}
