/** Browses a folder of the artifact store, previews a file (text, JSON, CSV as a table, images, HTML, notebooks) and downloads it. */
import { useEffect, useState } from 'react';
import { client, useData } from '../api.ts';
import { ErrorNote } from './Bits.tsx';
import { NotebookView } from '../notebook/NotebookView.tsx';
import { parseNotebook, type Notebook } from '../notebook/model.ts';

const IMAGE = /\.(png|jpe?g|gif|svg|webp)$/i;

function parseCsv(text: string): string[][] {
  return text.split(/\r?\n/).filter(Boolean).slice(0, 201).map((line) => {
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted && ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) { cells.push(cur); cur = ''; } else cur += ch;
    }
    cells.push(cur);
    return cells;
  });
}

/** Saves a stored file under its own name (fetched with the workspace's credentials, so it works with auth on). */
export async function downloadArtifact(path: string): Promise<void> {
  const blob = await (await client.fetchArtifact(path)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = path.split('/').pop() ?? 'download';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function FilePreview({ path }: { path: string }) {
  return (
    <div>
      <div className="toolbar"><strong>{path.split('/').pop()}</strong> <button onClick={() => void downloadArtifact(path)} data-testid="download">Download</button></div>
      <FileContent path={path} />
    </div>
  );
}

function FileContent({ path }: { path: string }) {
  const [content, setContent] = useState<{ kind: 'text' | 'json' | 'csv' | 'image' | 'notebook' | 'html'; text?: string; url?: string; nb?: Notebook } | undefined>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let url: string | undefined;
    setContent(undefined);
    setError(undefined);
    void (async () => {
      try {
        const res = await client.fetchArtifact(path);
        if (IMAGE.test(path)) {
          url = URL.createObjectURL(await res.blob());
          setContent({ kind: 'image', url });
          return;
        }
        const whole = await res.text();
        if (/\.ipynb$/i.test(path)) {
          try { setContent({ kind: 'notebook', nb: parseNotebook(whole) }); return; } catch { /* shown as text below */ }
        }
        // HTML (a logged report, a plotly figure) in a frame that runs no script of its own.
        if (/\.html?$/i.test(path)) { setContent({ kind: 'html', text: whole }); return; }
        const text = whole.slice(0, 200_000);
        if (/\.json$/i.test(path)) {
          try { setContent({ kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) }); return; } catch { /* shown as text */ }
        }
        setContent({ kind: /\.csv$/i.test(path) ? 'csv' : 'text', text });
      } catch (err) {
        setError((err as Error).message);
      }
    })();
    return () => { if (url) URL.revokeObjectURL(url); };
  }, [path]);
  if (error) return <ErrorNote error={error} />;
  if (!content) return <div className="muted">Loading {path.split('/').pop()}…</div>;
  if (content.kind === 'notebook') return <NotebookView nb={content.nb!} />;
  if (content.kind === 'html') return <iframe className="preview-html" sandbox="" srcDoc={content.text} title={path} data-testid="html-preview" />;
  if (content.kind === 'image') return <img className="preview-image" src={content.url} alt={path} />;
  if (content.kind === 'csv') {
    const [head, ...rows] = parseCsv(content.text!);
    return (
      <div className="scroll-x" data-testid="csv-preview">
        <table className="grid"><thead><tr>{head?.map((h, i) => <th key={i}>{h}</th>)}</tr></thead>
          <tbody>{rows.map((r, i) => <tr key={i}>{r.map((c, j) => <td key={j}>{c}</td>)}</tr>)}</tbody></table>
      </div>
    );
  }
  return <pre className="preview" data-testid="file-preview">{content.text}</pre>;
}

export function FileBrowser({ root, empty }: { root: string; empty: string }) {
  const [dir, setDir] = useState('');
  const [file, setFile] = useState<string>();
  const where = [root, dir].filter(Boolean).join('/');
  const { data, error } = useData(() => client.listArtifacts(where), [where]);
  const files = data?.files ?? [];
  return (
    <div className="files">
      <div className="file-list" data-testid="file-list">
        <div className="crumbs">
          <button onClick={() => { setDir(''); setFile(undefined); }}>/</button>
          {dir.split('/').filter(Boolean).map((part, i, all) => (
            <button key={i} onClick={() => { setDir(all.slice(0, i + 1).join('/')); setFile(undefined); }}>{part}/</button>
          ))}
        </div>
        <ErrorNote error={error} />
        {data && files.length === 0 && <div className="muted">{empty}</div>}
        {files.map((f) => {
          const name = f.path.split('/').pop()!;
          const rel = [dir, name].filter(Boolean).join('/');
          return (
            <button key={f.path} className={`file ${file === rel ? 'active' : ''}`} onClick={() => (f.is_dir ? (setDir(rel), setFile(undefined)) : setFile(rel))}>
              {f.is_dir ? '▸' : '•'} {name}{f.is_dir ? '/' : ''}{f.file_size !== undefined && !f.is_dir ? <span className="muted"> {f.file_size} B</span> : null}
            </button>
          );
        })}
      </div>
      <div className="file-view">{file ? <FilePreview path={`${root}/${file}`} /> : <div className="muted">Choose a file to preview it.</div>}</div>
    </div>
  );
}
