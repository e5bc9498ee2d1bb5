/** Small pieces every page uses: status badges, empty states, tabs, key/value lists, errors. */
import { useState, type ReactNode } from 'react';
import { go } from '../router.tsx';

export function Status({ value }: { value?: string }) {
  const v = value ?? 'Unknown';
  const tone = /^(not built|none|NotStarted)$/.test(v) ? 'idle' : /Completed|Succeeded|FINISHED|built|READY/.test(v) ? 'ok' : /Failed|FAILED|Canceled|KILLED|failed/.test(v) ? 'bad' : /Running|Preparing|Queued|Finalizing|Creating|Updating|building|RUNNING/.test(v) ? 'busy' : 'idle';
  return <span className={`status ${tone}`} data-testid="status">{v}</span>;
}

/** What to do when a page has nothing to show: the command or button that fills it. */
export function Empty({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty" data-testid="empty">
      <h3>{title}</h3>
      <div>{children}</div>
    </div>
  );
}

export function ErrorNote({ error }: { error?: string }) {
  return error ? <div className="error" role="alert">{error}</div> : null;
}

/**
 * Tabs; with `route`, the chosen tab is the last part of the page's address (`#/jobs/<name>/logs`),
 * so a tab can be linked to and survives a reload.
 */
export function Tabs({ tabs, initial, route }: { tabs: { id: string; label: string; body: () => ReactNode }[]; initial?: string; route?: { base: string[]; current?: string } }) {
  const [chosen, setChosen] = useState(initial ?? tabs[0]?.id);
  const active = route ? route.current ?? tabs[0]?.id : chosen;
  const setActive = (id: string) => (route ? go(...route.base, id) : setChosen(id));
  const tab = tabs.find((t) => t.id === active) ?? tabs[0];
  return (
    <div>
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <button key={t.id} role="tab" aria-selected={t.id === tab?.id} className={t.id === tab?.id ? 'active' : ''} onClick={() => setActive(t.id)}>{t.label}</button>
        ))}
      </div>
      <div className="tabbody">{tab?.body()}</div>
    </div>
  );
}

export function Fields({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="fields">
      {rows.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => (
        <div key={k}><dt>{k}</dt><dd>{v}</dd></div>
      ))}
    </dl>
  );
}

export const Code = ({ children }: { children: ReactNode }) => <code className="cmd">{children}</code>;
