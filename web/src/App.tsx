/**
 * The studio shell: checks it may read the workspace (asking for a token when the server runs
 * with auth, before any data is shown), then the navigation and the page for the current route.
 */
import { useEffect, useState } from 'react';
import { client, forgetToken, isAuthError, onUnauthorized, reconnect, saveToken } from './api.ts';
import { useRoute } from './router.tsx';
import { JobsPage } from './pages/Jobs.tsx';
import { JobPage } from './pages/Job.tsx';
import { ExperimentsPage } from './pages/Experiments.tsx';
import { RunsPage } from './pages/Runs.tsx';
import { RunPage } from './pages/Run.tsx';
import { ComparePage } from './pages/Compare.tsx';
import { ModelsPage, ModelVersionPage } from './pages/Models.tsx';
import { EndpointsPage, EndpointPage } from './pages/Endpoints.tsx';
import { BatchEndpointsPage, BatchEndpointPage } from './pages/BatchEndpoints.tsx';
import { DataPage, EnvironmentsPage, ComputesPage } from './pages/Assets.tsx';
import { NotebooksPage } from './pages/Notebooks.tsx';
import { SqlPage } from './pages/Sql.tsx';
import { DesignerPage } from './pages/Designer.tsx';
import { AutomlPage } from './pages/Automl.tsx';

const NAV: [string, string][] = [['notebooks', 'Notebooks'], ['sql', 'SQL'], ['designer', 'Designer'], ['automl', 'AutoML'], ['jobs', 'Jobs'], ['experiments', 'Experiments'], ['models', 'Models'], ['endpoints', 'Endpoints'], ['batch-endpoints', 'Batch endpoints'], ['data', 'Data'], ['environments', 'Environments'], ['computes', 'Computes']];

function TokenPrompt({ onDone, failed }: { onDone: () => void; failed: boolean }) {
  const [token, setToken] = useState('');
  return (
    <div className="login">
      <form onSubmit={(e) => { e.preventDefault(); saveToken(token); reconnect(); onDone(); }}>
        <h2>Sign in to this workspace</h2>
        <p>This Stratus server requires authentication. Paste the token it was started with
          (<code className="cmd">STRATUS_AUTH_TOKEN</code>), or <code className="cmd">user:password</code> for basic auth users.</p>
        {failed && <div className="error" role="alert">That token was not accepted.</div>}
        <input type="password" aria-label="token" placeholder="token" value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
        <button type="submit" className="primary">Continue</button>
      </form>
    </div>
  );
}

function Page() {
  const { parts } = useRoute();
  const [section, a, b, c] = parts;
  switch (section ?? 'jobs') {
    case 'jobs': return a ? <JobPage name={a} tab={b} /> : <JobsPage />;
    case 'experiments': return b === 'runs' && parts[3] ? <RunPage experimentId={a!} runId={parts[3]} tab={parts[4]} /> : a ? <RunsPage experimentId={a} /> : <ExperimentsPage />;
    case 'compare': return <ComparePage />;
    case 'models': return a && b ? <ModelVersionPage name={a} version={b} /> : <ModelsPage name={a} />;
    case 'endpoints': return a ? <EndpointPage name={a} /> : <EndpointsPage />;
    case 'batch-endpoints': return a ? <BatchEndpointPage name={a} /> : <BatchEndpointsPage />;
    case 'data': return <DataPage name={a} version={b} />;
    case 'environments': return <EnvironmentsPage name={a} version={b} />;
    case 'computes': return <ComputesPage name={a} />;
    case 'notebooks': return <NotebooksPage path={parts.slice(1)} />;
    case 'sql': return <SqlPage />;
    case 'designer': return <DesignerPage draft={a} />;
    case 'automl': return <AutomlPage />;
    default: return <div className="error">No page {parts.join('/')}{c}</div>;
  }
}

export function App() {
  const [state, setState] = useState<'checking' | 'ready' | 'login' | 'rejected'>('checking');
  const check = async (afterLogin = false) => {
    try {
      await client.experiments.search({ max_results: 1 });
      setState('ready');
    } catch (err) {
      setState(isAuthError(err) ? (afterLogin ? 'rejected' : 'login') : 'ready');
    }
  };
  useEffect(() => { void check(); return onUnauthorized(() => { forgetToken(); reconnect(); setState('login'); }); }, []);
  const { parts } = useRoute();
  if (state === 'checking') return <div className="muted pad">Connecting…</div>;
  if (state === 'login' || state === 'rejected') return <TokenPrompt failed={state === 'rejected'} onDone={() => void check(true)} />;
  const section = parts[0] ?? 'jobs';
  return (
    <div className="app">
      <nav className="nav">
        <div className="brand">Stratus</div>
        {NAV.map(([id, label]) => (
          <a key={id} href={`#/${id}`} className={section === id || (section === 'compare' && id === 'experiments') ? 'active' : ''}>{label}</a>
        ))}
      </nav>
      <main className="main"><Page /></main>
    </div>
  );
}
