/** nbformat v4 as the editor holds it: cells with their sources as strings, outputs as Jupyter sends them. */
export interface Output {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error';
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface Cell {
  id: string;
  cell_type: 'code' | 'markdown' | 'raw';
  source: string;
  metadata: Record<string, unknown>;
  execution_count?: number | null;
  outputs?: Output[];
}

export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown> & { kernelspec?: { name: string; display_name: string; language?: string } };
  nbformat: 4;
  nbformat_minor: number;
}

const joined = (s: unknown) => (Array.isArray(s) ? s.join('') : String(s ?? ''));

export const newCellId = () => Math.random().toString(36).slice(2, 10);

export function newCell(type: Cell['cell_type'] = 'code', source = ''): Cell {
  return type === 'code'
    ? { id: newCellId(), cell_type: 'code', source, metadata: {}, execution_count: null, outputs: [] }
    : { id: newCellId(), cell_type: type, source, metadata: {} };
}

export function emptyNotebook(kernel = { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }): Notebook {
  return { cells: [newCell()], metadata: { kernelspec: kernel }, nbformat: 4, nbformat_minor: 5 };
}

/** A stored notebook, read as the editor holds it (list sources joined; ids given to cells without one). */
export function parseNotebook(text: string): Notebook {
  const nb = JSON.parse(text) as Notebook & { cells: (Cell & { source: unknown })[] };
  return {
    ...nb,
    nbformat_minor: Math.max(nb.nbformat_minor ?? 5, 5),
    cells: nb.cells.map((c) => ({
      ...c,
      id: c.id ?? newCellId(),
      source: joined(c.source),
      ...(c.cell_type === 'code' ? { outputs: (c.outputs ?? []).map((o) => ({ ...o, ...(o.text !== undefined ? { text: joined(o.text) } : {}) })) } : {}),
    })),
  };
}

/** Python's str.splitlines(True) for the line breaks notebooks hold. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const SPLIT_MIMES = new Set(['application/javascript', 'image/svg+xml']);

/** Keys sorted at every level, as Python's json.dumps(sort_keys=True) writes them. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/**
 * The file's text exactly as nbformat writes it (sorted keys, one-space indent, multi-line
 * strings as lists of lines, a trailing newline), so a notebook saved here and one saved by
 * Jupyter are the same bytes.
 */
export function serializeNotebook(nb: Notebook): string {
  const cells = nb.cells.map((c) => {
    const cell: Record<string, unknown> = { ...c, source: splitLines(c.source) };
    if (c.cell_type === 'code') {
      cell.outputs = (c.outputs ?? []).map((o) => {
        if (o.output_type === 'stream') return { ...o, text: splitLines(Array.isArray(o.text) ? o.text.join('') : o.text ?? '') };
        if (o.output_type === 'execute_result' || o.output_type === 'display_data') {
          const data = Object.fromEntries(Object.entries(o.data ?? {}).map(([mime, v]) => [mime, typeof v === 'string' && (mime.startsWith('text/') || SPLIT_MIMES.has(mime)) ? splitLines(v) : v]));
          return { ...o, data };
        }
        return o;
      });
    } else {
      delete cell.outputs;
      delete cell.execution_count;
    }
    return cell;
  });
  return `${JSON.stringify(sortKeys({ ...nb, cells }), null, 1)}\n`;
}
