/**
 * Notebooks: the workspace file share on the left; a notebook open on the right, run on a
 * compute instance's kernel through the workspace (the same Jupyter a JupyterLab user sees).
 * Saves go to the share (checked against nbformat v4), autosave while edited, and a checkpoint
 * in `.ipynb_checkpoints/` where Jupyter keeps its own.
 */
import { useEffect, useRef, useState } from 'react';
import { client, useData } from '../api.ts';
import { go, href } from '../router.tsx';
import { Empty, ErrorNote, Status } from '../components/Bits.tsx';
import { CellEditor } from '../notebook/CellEditor.tsx';
import { Markdown, OutputView } from '../notebook/Outputs.tsx';
import { NotebookSession, kernelSpecs, serverSettings } from '../notebook/kernel.ts';
import { emptyNotebook, newCell, parseNotebook, serializeNotebook, type Cell, type Notebook } from '../notebook/model.ts';

const AUTOSAVE_MS = 15_000;
const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const nameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const checkpointOf = (p: string) => [parentOf(p), '.ipynb_checkpoints', nameOf(p).replace(/\.ipynb$/, '-checkpoint.ipynb')].filter(Boolean).join('/');

function FileTree({ folder, open }: { folder: string; open?: string }) {
  const { data, error, reload } = useData(() => client.files.list(folder), [folder, open], 10_000);
  const [message, setMessage] = useState<string>();
  const create = async () => {
    const name = window.prompt('New notebook name', 'Untitled.ipynb');
    if (!name) return;
    const file = [folder, name.endsWith('.ipynb') ? name : `${name}.ipynb`].filter(Boolean).join('/');
    try {
      await client.files.upload(file, serializeNotebook(emptyNotebook()));
      go('notebooks', ...file.split('/'));
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const rename = async (file: string) => {
    const to = window.prompt('Rename to', file);
    if (!to || to === file) return;
    try {
      await client.files.rename(file, to);
      go('notebooks', ...to.split('/'));
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const remove = async (file: string) => {
    if (!window.confirm(`Delete ${file}?`)) return;
    try {
      await client.files.delete(file);
      if (open === file) go('notebooks', ...folder.split('/').filter(Boolean));
      else void reload();
    } catch (err) {
      setMessage((err as Error).message);
    }
  };
  const crumbs = folder ? folder.split('/') : [];
  return (
    <div className="side" data-testid="file-tree">
      <div className="crumbs">
        <a href={href('notebooks')}>share</a>
        {crumbs.map((c, i) => <span key={i}> / <a href={href('notebooks', ...crumbs.slice(0, i + 1))}>{c}</a></span>)}
      </div>
      <div className="toolbar"><button onClick={() => void create()} data-testid="new-notebook">New notebook</button></div>
      <ErrorNote error={error ?? message} />
      {data && !data.files.length && <div className="muted small">Empty folder. Upload with <code className="cmd">stratus file upload --source nb.ipynb --path {folder || 'Users'}</code></div>}
      {data?.files.filter((f) => !f.path.startsWith('.')).map((f) => {
        const full = [folder, f.path].filter(Boolean).join('/');
        return (
          <div key={f.path} className={`item tree-item ${open === full ? 'active' : ''}`}>
            <a href={href('notebooks', ...full.split('/'))}>{f.is_dir ? `📁 ${f.path}` : f.path}</a>
            {!f.is_dir && <span className="tree-actions"><button className="link" onClick={() => void rename(full)}>rename</button><button className="link" onClick={() => void remove(full)}>delete</button></span>}
          </div>
        );
      })}
    </div>
  );
}

function CellView({ cell, language, running, onChange, onRun, onDelete, onAdd }: {
  cell: Cell; language: string; running: boolean; onChange: (c: Cell) => void; onRun: () => void; onDelete: () => void; onAdd: () => void;
}) {
  const [editing, setEditing] = useState(cell.cell_type !== 'markdown' || !cell.source);
  const run = () => {
    if (cell.cell_type === 'markdown') setEditing(false);
    else onRun();
  };
  return (
    <div className="cell" data-testid="cell">
      <div className="cell-gutter">{cell.cell_type === 'code' ? (running ? '[*]' : `[${cell.execution_count ?? ' '}]`) : ''}</div>
      <div className="cell-body">
        <div className="cell-tools">
          <select aria-label="cell type" value={cell.cell_type} onChange={(e) => onChange({ ...newCell(e.target.value as Cell['cell_type'], cell.source), id: cell.id })}>
            <option value="code">Code</option><option value="markdown">Markdown</option><option value="raw">Raw</option>
          </select>
          <button onClick={run} data-testid="run-cell" title="Run (Shift-Enter)">▶ Run</button>
          <button onClick={onAdd} title="Add a cell below">+ Cell</button>
          <button className="danger" onClick={onDelete} title="Delete this cell">Delete</button>
        </div>
        {cell.cell_type === 'markdown' && !editing
          ? <div onDoubleClick={() => setEditing(true)} title="Double-click to edit"><Markdown source={cell.source} /></div>
          : <CellEditor source={cell.source} kind={cell.cell_type} language={language} onChange={(source) => onChange({ ...cell, source })} onRun={run} />}
        {cell.cell_type === 'code' && (cell.outputs ?? []).length > 0 && (
          <div className="outputs" data-testid="outputs">{(cell.outputs ?? []).map((o, i) => <OutputView key={i} output={o} />)}</div>
        )}
      </div>
    </div>
  );
}

function NotebookEditor({ path }: { path: string }) {
  const [nb, setNb] = useState<Notebook>();
  const [error, setError] = useState<string>();
  const [dirty, setDirty] = useState(false);
  const [saved, setSaved] = useState<string>();
  const [instance, setInstance] = useState<string>();
  const [kernel, setKernel] = useState<string>();
  const [status, setStatus] = useState('no kernel');
  const [running, setRunning] = useState<Set<string>>(new Set());
  const session = useRef<NotebookSession | undefined>(undefined);
  const nbRef = useRef(nb);
  nbRef.current = nb;

  const computes = useData(() => client.computes.list(), [], 10_000);
  const instances = (computes.data?.value ?? []).filter((c) => c.type === 'computeinstance');
  // A compute instance is personal: with accounts, only its user opens its kernels.
  const me = useData(() => client.auth.me(), []);
  const ownerOf = (c: (typeof instances)[number]) => c.create_on_behalf_of?.user_object_id;
  const usable = (c: (typeof instances)[number]) => c.state === 'Running' && (!me.data?.auth_enabled || !ownerOf(c) || ownerOf(c) === me.data.username);
  const specs = useData(() => (instance ? kernelSpecs(serverSettings(instance, client.credentials, client.csrfToken)) : Promise.resolve([])), [instance]);

  useEffect(() => {
    setNb(undefined);
    setError(undefined);
    client.files.read(path).then((t) => setNb(parseNotebook(t)), (err) => setError((err as Error).message));
    return () => {
      session.current?.dispose();
      session.current = undefined;
      setStatus('no kernel');
    };
  }, [path]);
  useEffect(() => {
    if (!instance && instances.some(usable)) setInstance(instances.find(usable)!.name);
  }, [instances, instance]);
  useEffect(() => {
    if (!kernel && nb && specs.data?.length) setKernel(specs.data.find((s) => s.name === nb.metadata.kernelspec?.name)?.name ?? specs.data[0].name);
  }, [specs.data, nb, kernel]);

  const save = async (what = nbRef.current, to = path) => {
    if (!what) return;
    try {
      await client.files.upload(to, serializeNotebook(what));
      if (to === path) {
        setDirty(false);
        setSaved(new Date().toLocaleTimeString());
      }
    } catch (err) {
      setError((err as Error).message);
    }
  };
  useEffect(() => {
    if (!dirty) return;
    const t = setTimeout(() => void save(), AUTOSAVE_MS);
    return () => clearTimeout(t);
  });

  const update = (fn: (n: Notebook) => Notebook) => {
    setNb((n) => (n ? fn(n) : n));
    setDirty(true);
  };
  const setCell = (id: string, fn: (c: Cell) => Cell) => update((n) => ({ ...n, cells: n.cells.map((c) => (c.id === id ? fn(c) : c)) }));

  const language = specs.data?.find((s) => s.name === kernel)?.language ?? nb?.metadata.kernelspec?.language ?? 'python';

  const startKernel = async () => {
    if (!instance || !kernel) return;
    session.current?.dispose();
    const s = new NotebookSession(serverSettings(instance, client.credentials, client.csrfToken), path);
    session.current = s;
    setStatus('starting');
    try {
      await s.start(kernel, setStatus);
      const spec = specs.data?.find((k) => k.name === kernel);
      if (spec && nbRef.current?.metadata.kernelspec?.name !== kernel) update((n) => ({ ...n, metadata: { ...n.metadata, kernelspec: spec } }));
    } catch (err) {
      setStatus('failed');
      setError(`Could not start the ${kernel} kernel on ${instance}: ${(err as Error).message}`);
    }
  };

  const runCell = async (id: string): Promise<boolean> => {
    const cell = nbRef.current?.cells.find((c) => c.id === id);
    if (!cell || cell.cell_type !== 'code') return true;
    if (!session.current?.session) await startKernel();
    if (!session.current?.session) return false;
    setCell(id, (c) => ({ ...c, outputs: [], execution_count: null }));
    setRunning((r) => new Set(r).add(id));
    try {
      const result = await session.current.execute(
        cell.source,
        (o) => setCell(id, (c) => ({ ...c, outputs: [...(c.outputs ?? []), o] })),
        (n) => setCell(id, (c) => ({ ...c, execution_count: n })),
      );
      return result === 'ok';
    } catch (err) {
      setError((err as Error).message);
      return false;
    } finally {
      setRunning((r) => {
        const next = new Set(r);
        next.delete(id);
        return next;
      });
    }
  };
  const runAll = async () => {
    for (const c of nbRef.current?.cells ?? []) if (!(await runCell(c.id))) break;
    await save();
  };

  if (error && !nb) return <ErrorNote error={error} />;
  if (!nb) return <div className="muted">Opening {path}…</div>;
  const dead = status === 'dead' || status === 'disconnected';
  return (
    <div className="notebook" data-testid="notebook">
      <div className="title-row"><h2>{nameOf(path)}</h2><span className="muted small">{dirty ? 'unsaved changes' : saved ? `saved ${saved}` : ''}</span></div>
      <div className="toolbar notebook-toolbar">
        <label>Compute instance{' '}
          <select aria-label="compute instance" value={instance ?? ''} onChange={(e) => { setInstance(e.target.value); setKernel(undefined); }}>
            <option value="" disabled>choose…</option>
            {instances.map((c) => <option key={c.name} value={c.name} disabled={!usable(c)}>{c.name} ({usable(c) || c.state !== 'Running' ? c.state : `assigned to ${ownerOf(c)}`})</option>)}
          </select>
        </label>
        <label>Kernel{' '}
          <select aria-label="kernel" value={kernel ?? ''} onChange={(e) => setKernel(e.target.value)}>
            {(specs.data ?? []).map((s) => <option key={s.name} value={s.name}>{s.display_name}</option>)}
          </select>
        </label>
        <button onClick={() => void startKernel()} disabled={!instance || !kernel}>{session.current?.session ? 'Change kernel' : 'Start kernel'}</button>
        <span data-testid="kernel-status"><Status value={status} /></span>
        <button className="primary" onClick={() => void runAll()} disabled={!instance}>Run all</button>
        <button onClick={() => void session.current?.interrupt()} disabled={!session.current?.session}>Interrupt</button>
        <button onClick={() => void session.current?.restart().then(() => update((n) => n))} disabled={!session.current?.session}>Restart</button>
        <button onClick={() => void save()} data-testid="save">Save</button>
        <button onClick={() => void save(nbRef.current, checkpointOf(path)).then(() => setSaved(`checkpoint ${new Date().toLocaleTimeString()}`))}>Checkpoint</button>
        <button onClick={() => void client.files.read(checkpointOf(path)).then((t) => { setNb(parseNotebook(t)); setDirty(true); }, () => setError('No checkpoint yet: press Checkpoint to make one.'))}>Revert to checkpoint</button>
      </div>
      {!instances.length && computes.data && (
        <div className="note">No compute instance yet. Create one with <code className="cmd">stratus compute create --name my-ci --type computeinstance</code>, then choose it here.</div>
      )}
      {dead && <div className="error" role="alert">The kernel {status === 'dead' ? 'died' : 'lost its connection'}. Restart it, or start a new one.</div>}
      <ErrorNote error={error} />
      {nb.cells.map((cell, i) => (
        <CellView
          key={cell.id} cell={cell} language={language} running={running.has(cell.id)}
          onChange={(c) => setCell(cell.id, () => c)}
          onRun={() => void runCell(cell.id).then(() => save())}
          onDelete={() => update((n) => ({ ...n, cells: n.cells.filter((c) => c.id !== cell.id) }))}
          onAdd={() => update((n) => ({ ...n, cells: [...n.cells.slice(0, i + 1), newCell(), ...n.cells.slice(i + 1)] }))}
        />
      ))}
      <button onClick={() => update((n) => ({ ...n, cells: [...n.cells, newCell()] }))}>+ Code cell</button>{' '}
      <button onClick={() => update((n) => ({ ...n, cells: [...n.cells, newCell('markdown')] }))}>+ Markdown cell</button>
    </div>
  );
}

export function NotebooksPage({ path }: { path: string[] }) {
  const full = path.join('/');
  const isNotebook = full.endsWith('.ipynb');
  const folder = isNotebook ? parentOf(full) : full;
  return (
    <div>
      <h1>Notebooks</h1>
      <div className="split">
        <FileTree folder={folder} open={isNotebook ? full : undefined} />
        <div className="grow">
          {isNotebook ? <NotebookEditor path={full} /> : (
            <Empty title="Open a notebook">
              Choose a notebook on the left or press <b>New notebook</b>. Notebooks live in the workspace file share, where compute
              instances' Jupyter sees them too (<code className="cmd">stratus file list</code>).
            </Empty>
          )}
        </div>
      </div>
    </div>
  );
}
