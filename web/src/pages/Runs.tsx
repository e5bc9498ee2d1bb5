/**
 * The runs of an experiment: chosen param and metric columns, sorting and MLflow's filter syntax
 * done by the server, pages loaded as the table scrolls (it stays fast with 10,000 runs), and a
 * selection to compare.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Run } from '../../../src/specs/mlflow-entities.ts';
import { client, fmtTime, isAuthError } from '../api.ts';
import { Code, Empty, ErrorNote, Status } from '../components/Bits.tsx';
import { Table, type Column } from '../components/Table.tsx';
import { fmtMetric } from '../components/MetricCharts.tsx';
import { go, href, Link } from '../router.tsx';

const PAGE = 200;

export function RunsPage({ experimentId }: { experimentId: string }) {
  const [filter, setFilter] = useState('');
  const [applied, setApplied] = useState('');
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: 'attributes.start_time', desc: true });
  const [runs, setRuns] = useState<Run[]>([]);
  const [token, setToken] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string>();
  const [selected, setSelected] = useState(new Set<string>());
  const [columns, setColumns] = useState<string[] | undefined>();
  const [experiment, setExperiment] = useState<string>();
  const [expanded, setExpanded] = useState(new Set<string>());

  useEffect(() => { void client.experiments.get(experimentId).then((e) => setExperiment(e.experiment.name), () => undefined); }, [experimentId]);

  const load = useCallback(async (reset: boolean) => {
    if (loading) return;
    setLoading(true);
    try {
      const res = await client.runs.search({
        experiment_ids: [experimentId], filter: applied || undefined, max_results: PAGE,
        order_by: [`${sort.key} ${sort.desc ? 'DESC' : 'ASC'}`], page_token: reset ? undefined : token,
      });
      setRuns((r) => (reset ? res.runs ?? [] : [...r, ...(res.runs ?? [])]));
      setToken(res.next_page_token);
      setDone(!res.next_page_token);
      setError(undefined);
    } catch (err) {
      if (isAuthError(err)) location.reload();
      setError((err as Error).message);
      setDone(true);
    } finally {
      setLoading(false);
    }
  }, [experimentId, applied, sort, token, loading]);

  useEffect(() => {
    setRuns([]);
    setToken(undefined);
    setDone(false);
    void load(true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [experimentId, applied, sort]);

  const keys = useMemo(() => {
    const params = new Set<string>();
    const metrics = new Set<string>();
    for (const r of runs.slice(0, 500)) {
      for (const p of r.data.params ?? []) params.add(`params.${p.key}`);
      for (const m of r.data.metrics ?? []) metrics.add(`metrics.${m.key}`);
    }
    return [...metrics].sort().concat([...params].sort());
  }, [runs]);
  const shown = columns ?? keys.slice(0, 6);
  const value = (r: Run, key: string): string | number | undefined => {
    const [kind, name] = [key.split('.')[0], key.slice(key.indexOf('.') + 1)];
    if (kind === 'metrics') { const m = r.data.metrics?.find((x) => x.key === name)?.value; return m === undefined ? undefined : Number(m); }
    return r.data.params?.find((p) => p.key === name)?.value;
  };
  // Child runs (a sweep's trials, AutoML's, nested runs) sit under their parent, folded until opened.
  const parentOf = (r: Run) => r.data.tags?.find((t) => t.key === 'mlflow.parentRunId')?.value;
  const rows = useMemo(() => {
    const loaded = new Set(runs.map((r) => r.info.run_id));
    const children = new Map<string, Run[]>();
    for (const r of runs) {
      const p = parentOf(r);
      if (p && loaded.has(p)) children.set(p, [...(children.get(p) ?? []), r]);
    }
    const out: { run: Run; depth: number; children: number }[] = [];
    const add = (r: Run, depth: number) => {
      const kids = children.get(r.info.run_id) ?? [];
      out.push({ run: r, depth, children: kids.length });
      if (expanded.has(r.info.run_id)) for (const k of kids) add(k, depth + 1);
    };
    for (const r of runs) if (!(parentOf(r) && loaded.has(parentOf(r)!))) add(r, 0);
    return out;
  }, [runs, expanded]);
  const depthOf = new Map(rows.map((x) => [x.run.info.run_id, x]));
  const tableColumns: Column<Run>[] = [
    {
      key: 'attributes.run_name', label: 'Run', value: (r) => r.info.run_name,
      render: (r) => {
        // A run a notebook cell logged links back to its notebook.
        const notebook = r.data.tags?.find((t) => t.key === 'stratus.notebook')?.value;
        const place = depthOf.get(r.info.run_id);
        return (
          <span style={{ paddingLeft: (place?.depth ?? 0) * 16 }}>
            {place && place.children > 0 && (
              <button className="fold" aria-label={`${expanded.has(r.info.run_id) ? 'fold' : 'unfold'} child runs of ${r.info.run_name ?? r.info.run_id}`} onClick={(e) => {
                e.stopPropagation();
                setExpanded((s) => { const next = new Set(s); if (next.has(r.info.run_id)) next.delete(r.info.run_id); else next.add(r.info.run_id); return next; });
              }}>{expanded.has(r.info.run_id) ? '▾' : '▸'} {place.children}</button>
            )}{' '}
            <Link to={['experiments', r.info.experiment_id, 'runs', r.info.run_id]} testId="run-link">{r.info.run_name ?? r.info.run_id}</Link>
            {notebook && <> <a className="small" href={href('notebooks', ...notebook.split('/'))} data-testid="notebook-link">notebook</a></>}
          </span>
        );
      },
    },
    { key: 'attributes.status', label: 'Status', render: (r) => <Status value={r.info.status} />, width: '110px' },
    { key: 'attributes.start_time', label: 'Started', render: (r) => fmtTime(Number(r.info.start_time)), width: '190px' },
    ...shown.map((k) => ({
      key: k, label: k.replace(/^(metrics|params)\./, ''), width: '130px',
      render: (r: Run) => { const v = value(r, k); return typeof v === 'number' ? <span title={String(v)}>{fmtMetric(v)}</span> : String(v ?? ''); },
    })),
  ];
  const toggle = (id: string) => setSelected((s) => {
    const next = new Set(s);
    if (next.has(id)) next.delete(id); else next.add(id);
    return next;
  });
  return (
    <div>
      <h1>{experiment ?? `Experiment ${experimentId}`}</h1>
      <form className="toolbar" onSubmit={(e) => { e.preventDefault(); setApplied(filter.trim()); }}>
        <input className="wide" aria-label="run filter" placeholder={"metrics.accuracy > 0.9 and params.model = 'rf'"} value={filter} onChange={(e) => setFilter(e.target.value)} />
        <button type="submit">Search</button>
        <button type="button" className="primary" disabled={selected.size < 2} onClick={() => go('compare', [...selected].join(','))}>Compare {selected.size || ''} runs</button>
      </form>
      <details className="columns">
        <summary>Columns ({shown.length} of {keys.length})</summary>
        {keys.map((k) => (
          <label key={k}><input type="checkbox" checked={shown.includes(k)} onChange={() => setColumns(shown.includes(k) ? shown.filter((x) => x !== k) : [...shown, k])} /> {k}</label>
        ))}
      </details>
      <ErrorNote error={error} />
      {!loading && done && runs.length === 0 && !applied ? (
        <Empty title="No runs in this experiment">Runs appear as code logs them (<Code>mlflow.start_run()</Code>) or as jobs run: <Code>stratus job create --file job.yml</Code>.</Empty>
      ) : (
        <>
          <div className="muted">{runs.length}{done ? '' : '+'} runs{loading ? ' (loading…)' : ''}</div>
          <Table<Run>
            testId="runs-table"
            rows={rows.map((x) => x.run)}
            rowKey={(r) => r.info.run_id}
            columns={tableColumns}
            sort={sort}
            onSort={(key, desc) => setSort({ key: key.startsWith('attributes.') || key.includes('.') ? key : `attributes.${key}`, desc })}
            onEndReached={() => { if (!done && !loading) void load(false); }}
            selectable={{ selected, toggle }}
          />
        </>
      )}
      <p className="muted">Select two or more runs to compare them; sort by clicking a column; filter with MLflow's syntax. Open a run's job from <Link to={['jobs']}>Jobs</Link>.</p>
    </div>
  );
}
