/** A notebook shown read-only (a notebook job's executed output): cells with their counts and outputs. */
import { Markdown, OutputView } from './Outputs.tsx';
import type { Notebook } from './model.ts';

export function NotebookView({ nb }: { nb: Notebook }) {
  return (
    <div className="notebook readonly" data-testid="notebook-view">
      {nb.cells.map((cell) => (
        <div className="cell" key={cell.id}>
          <div className="cell-gutter">{cell.cell_type === 'code' ? `[${cell.execution_count ?? ' '}]` : ''}</div>
          <div className="cell-body">
            {cell.cell_type === 'markdown' ? <Markdown source={cell.source} /> : <pre className="cell-source">{cell.source}</pre>}
            {(cell.outputs ?? []).length > 0 && <div className="outputs">{cell.outputs!.map((o, i) => <OutputView key={i} output={o} />)}</div>}
          </div>
        </div>
      ))}
    </div>
  );
}
