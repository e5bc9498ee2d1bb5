/**
 * The SQL page: a query editor that completes table and column names (the workspace's data
 * assets and ml.models), the result as a grid and as a chart, and the queries run before
 * (kept in this browser). Ctrl-Enter or Shift-Enter runs the query; Stop cancels it.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { EditorView, basicSetup } from 'codemirror';
import { keymap } from '@codemirror/view';
import { Compartment } from '@codemirror/state';
import { sql, PostgreSQL } from '@codemirror/lang-sql';
import { client } from '../api.ts';
import { ErrorNote } from '../components/Bits.tsx';
import { LineChart } from '../components/Chart.tsx';

type Result = Awaited<ReturnType<typeof client.sql.query>>;
const HISTORY_KEY = 'stratus.sql.history';
const START = 'SELECT name, version, type, created_at FROM ml.models ORDER BY created_at DESC';

function loadHistory(): string[] {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as string[];
  } catch {
    return [];
  }
}

/** DuckDB's dialect is closest to PostgreSQL's; the schema gives completion of tables and columns. */
const sqlLanguage = (schema: Record<string, string[]>) => sql({ dialect: PostgreSQL, schema, upperCaseKeywords: true });

function QueryEditor({ value, schema, onChange, onRun }: { value: string; schema: Record<string, string[]>; onChange: (s: string) => void; onRun: () => void }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const handlers = useRef({ onChange, onRun });
  handlers.current = { onChange, onRun };
  const language = useRef(new Compartment());
  useEffect(() => {
    const run = () => { handlers.current.onRun(); return true; };
    view.current = new EditorView({
      parent: host.current!,
      doc: value,
      extensions: [
        keymap.of([{ key: 'Ctrl-Enter', run }, { key: 'Mod-Enter', run }, { key: 'Shift-Enter', run }]),
        basicSetup,
        language.current.of(sqlLanguage(schema)),
        EditorView.updateListener.of((u) => { if (u.docChanged) handlers.current.onChange(u.state.doc.toString()); }),
      ],
    });
    return () => view.current?.destroy();
    // The editor is made once; the schema arrives later and is swapped in below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    view.current?.dispatch({ effects: language.current.reconfigure(sqlLanguage(schema)) });
  }, [schema]);
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);
  return <div className="cell-editor sql-editor" ref={host} data-testid="sql-editor" data-tables={Object.keys(schema).length} />;
}

function ResultChart({ result }: { result: Result }) {
  const numeric = result.columns.map((c, i) => ({ ...c, i })).filter((c) => /INT|DOUBLE|FLOAT|DECIMAL|REAL|NUMERIC/i.test(c.type));
  const [x, setX] = useState<string>('(row)');
  const [y, setY] = useState<string>(numeric[0]?.name ?? '');
  if (!numeric.length) return <div className="muted">No numeric column to chart.</div>;
  const xi = result.columns.findIndex((c) => c.name === x);
  const yi = result.columns.findIndex((c) => c.name === y);
  const points = result.rows.map((r, k) => ({ x: xi < 0 ? k : Number(r[xi]), y: Number(r[yi]) })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  return (
    <div data-testid="sql-chart">
      <div className="toolbar">
        <label>x <select aria-label="x" value={x} onChange={(e) => setX(e.target.value)}>
          <option>(row)</option>{numeric.map((c) => <option key={c.name}>{c.name}</option>)}
        </select></label>
        <label>y <select aria-label="y" value={y} onChange={(e) => setY(e.target.value)}>{numeric.map((c) => <option key={c.name}>{c.name}</option>)}</select></label>
      </div>
      <LineChart title={`${y} by ${x}`} series={[{ label: y, points }]} xLabel={x} />
    </div>
  );
}

export function SqlPage() {
  const [text, setText] = useState(() => loadHistory()[0] ?? START);
  const [schema, setSchema] = useState<Record<string, string[]>>({});
  const [result, setResult] = useState<Result>();
  const [error, setError] = useState<string>();
  const [running, setRunning] = useState<AbortController>();
  const [history, setHistory] = useState(loadHistory);
  const [view, setView] = useState<'grid' | 'chart'>('grid');
  useEffect(() => {
    void client.sql.schema().then((s) => setSchema(Object.fromEntries(s.tables.map((t) => [t.name, t.columns.map((c) => c.name)]))), () => undefined);
  }, []);
  const textRef = useRef(text);
  textRef.current = text;
  const run = async () => {
    const query = textRef.current.trim();
    if (!query || running) return;
    const controller = new AbortController();
    setRunning(controller);
    setError(undefined);
    try {
      setResult(await client.sql.query(query, 1000, controller.signal));
      const next = [query, ...loadHistory().filter((q) => q !== query)].slice(0, 20);
      localStorage.setItem(HISTORY_KEY, JSON.stringify(next));
      setHistory(next);
    } catch (err) {
      setError(controller.signal.aborted ? 'The query was cancelled.' : (err as Error).message);
    } finally {
      setRunning(undefined);
    }
  };
  const shown = useMemo(() => result?.rows.slice(0, 1000) ?? [], [result]);
  return (
    <div>
      <h1>SQL</h1>
      <p className="muted">Data assets are tables (<code>iris</code>, <code>"iris:2"</code>), <code>ml.models</code> lists the registry, and <code>PREDICT(MODEL = …, DATA = … AS d) WITH (…) AS p</code> scores models. Ctrl-Enter runs.</p>
      <QueryEditor value={text} schema={schema} onChange={setText} onRun={() => void run()} />
      <div className="toolbar">
        <button className="primary" onClick={() => void run()} disabled={!!running}>Run</button>
        {running && <button onClick={() => running.abort()}>Stop</button>}
        {result && <span className="muted" data-testid="sql-summary">{result.row_count} row{result.row_count === 1 ? '' : 's'}{result.truncated ? ' (more not shown)' : ''} in {result.elapsed_ms} ms</span>}
        {result && <>
          <button onClick={() => setView('grid')} disabled={view === 'grid'}>Grid</button>
          <button onClick={() => setView('chart')} disabled={view === 'chart'}>Chart</button>
        </>}
      </div>
      <ErrorNote error={error} />
      {result?.messages.map((m) => <div key={m} className="muted">{m}</div>)}
      {result && view === 'grid' && (
        <div className="scroll-x">
          <table className="grid" data-testid="sql-result">
            <thead><tr>{result.columns.map((c) => <th key={c.name} title={c.type}>{c.name}</th>)}</tr></thead>
            <tbody>{shown.map((r, i) => <tr key={i}>{r.map((v, j) => <td key={j}>{v === null ? <span className="muted">NULL</span> : typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>)}</tr>)}</tbody>
          </table>
        </div>
      )}
      {result && view === 'chart' && <ResultChart result={result} />}
      {history.length > 0 && (
        <details data-testid="sql-history">
          <summary>History ({history.length})</summary>
          <ul>{history.map((q) => <li key={q}><a href="#/sql" onClick={(e) => { e.preventDefault(); setText(q); }}><code>{q.length > 160 ? `${q.slice(0, 160)}…` : q}</code></a></li>)}</ul>
        </details>
      )}
    </div>
  );
}
