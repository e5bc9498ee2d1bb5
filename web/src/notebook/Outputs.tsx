/**
 * Cell outputs rendered as Jupyter renders them: the richest MIME type first. HTML (pandas
 * tables, plots' HTML) runs in a sandboxed frame with no access to the studio's origin, so a
 * notebook cannot read the workspace token; Markdown is sanitised; text keeps its colours.
 */
import { useEffect, useRef, useState } from 'react';
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { ansiToHtml } from './ansi.ts';
import type { Output } from './model.ts';

const text = (v: unknown) => (Array.isArray(v) ? v.join('') : String(v ?? ''));

/** HTML in a sandboxed iframe (scripts allowed, same-origin not), sized to its content. */
function HtmlFrame({ html }: { html: string }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(60);
  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (e.source === frame.current?.contentWindow && typeof e.data?.stratusHeight === 'number') setHeight(Math.min(2000, e.data.stratusHeight + 16));
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, []);
  const doc = `<!doctype html><html><head><style>body{font:13px system-ui,sans-serif;margin:4px}table{border-collapse:collapse}td,th{border:1px solid #e2e8f0;padding:2px 6px}</style></head><body>${html}<script>new ResizeObserver(()=>parent.postMessage({stratusHeight:document.documentElement.scrollHeight},'*')).observe(document.body)</script></body></html>`;
  return <iframe ref={frame} className="output-html" sandbox="allow-scripts" srcDoc={doc} style={{ height }} title="output" />;
}

export function Markdown({ source }: { source: string }) {
  const html = DOMPurify.sanitize(marked.parse(source, { async: false }) as string);
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}

export function OutputView({ output }: { output: Output }) {
  if (output.output_type === 'stream') {
    return <pre className={`output-stream ${output.name === 'stderr' ? 'stderr' : ''}`} dangerouslySetInnerHTML={{ __html: ansiToHtml(text(output.text)) }} />;
  }
  if (output.output_type === 'error') {
    return <pre className="output-error" data-testid="output-error" dangerouslySetInnerHTML={{ __html: ansiToHtml((output.traceback ?? [`${output.ename}: ${output.evalue}`]).join('\n')) }} />;
  }
  const data = output.data ?? {};
  if (data['image/png']) return <img className="output-image" data-testid="output-image" alt="output" src={`data:image/png;base64,${text(data['image/png']).replace(/\n/g, '')}`} />;
  if (data['image/jpeg']) return <img className="output-image" alt="output" src={`data:image/jpeg;base64,${text(data['image/jpeg']).replace(/\n/g, '')}`} />;
  if (data['text/html']) return <HtmlFrame html={text(data['text/html'])} />;
  if (data['text/markdown']) return <Markdown source={text(data['text/markdown'])} />;
  if (data['application/json']) return <pre className="output-text">{JSON.stringify(data['application/json'], null, 2)}</pre>;
  if (data['text/plain'] !== undefined) return <pre className="output-text" dangerouslySetInnerHTML={{ __html: ansiToHtml(text(data['text/plain'])) }} />;
  return <pre className="output-text muted">({Object.keys(data).join(', ') || 'empty output'})</pre>;
}
