/** One cell's source in CodeMirror 6, with the language of the kernel (Python, R) or Markdown. */
import { useEffect, useRef } from 'react';
import { EditorView, basicSetup } from 'codemirror';
import { keymap } from '@codemirror/view';
import { StreamLanguage } from '@codemirror/language';
import { python } from '@codemirror/lang-python';
import { markdown } from '@codemirror/lang-markdown';
import { r } from '@codemirror/legacy-modes/mode/r';

function languageFor(kind: 'code' | 'markdown' | 'raw', language: string) {
  if (kind === 'markdown') return [markdown()];
  if (kind === 'raw') return [];
  return language === 'R' || language === 'r' ? [StreamLanguage.define(r)] : [python()];
}

export function CellEditor({ source, kind, language, onChange, onRun }: {
  source: string; kind: 'code' | 'markdown' | 'raw'; language: string; onChange: (s: string) => void; onRun: () => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const handlers = useRef({ onChange, onRun });
  handlers.current = { onChange, onRun };
  useEffect(() => {
    view.current = new EditorView({
      parent: host.current!,
      doc: source,
      extensions: [
        // Shift-Enter runs the cell, as in Jupyter.
        keymap.of([{ key: 'Shift-Enter', run: () => { handlers.current.onRun(); return true; } }]),
        basicSetup,
        ...languageFor(kind, language),
        EditorView.updateListener.of((u) => { if (u.docChanged) handlers.current.onChange(u.state.doc.toString()); }),
      ],
    });
    return () => view.current?.destroy();
    // The editor owns its text once made; a new kind or language makes a new editor.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [kind, language]);
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== source) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: source } });
  }, [source]);
  return <div className="cell-editor" ref={host} data-testid="cell-editor" />;
}
