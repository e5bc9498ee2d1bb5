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

/** The file's text: what Jupyter writes (one-space indent, trailing newline), so saves round-trip. */
export function serializeNotebook(nb: Notebook): string {
  return `${JSON.stringify(nb, null, 1)}\n`;
}
