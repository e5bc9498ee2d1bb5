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
import { AccessPage } from './pages/Access.tsx';

type Me = Awaited<ReturnType<typeof client.auth.me>>;

const NAV: [string, string][] = [['notebooks', 'Notebooks'], ['sql', 'SQL'], ['designer', 'Designer'], ['automl', 'AutoML'], ['jobs', 'Jobs'], ['experiments', 'Experiments'], ['models', 'Models'], ['endpoints', 'Endpoints'], ['batch-endpoints', 'Batch endpoints'], ['data', 'Data'], ['environments', 'Environments'], ['computes', 'Computes']];

function SignIn({ onDone, failed }: { onDone: () => void; failed: boolean }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [sso, setSso] = useState<string>();
  useEffect(() => { void client.auth.config().then((c) => setSso(c.sso?.issuer)).catch(() => undefined); }, []);
  const signIn = async () => {
    setError(undefined);
    try {
      const session = await client.auth.login(username, password);
      client.setCsrfToken(session.csrf_token);
      onDone();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div className="login">
      <form onSubmit={(e) => { e.preventDefault(); void signIn(); }}>
        <h2>Sign in to this workspace</h2>
        {failed && <div className="error" role="alert">That token was not accepted.</div>}
        {error && <div className="error" role="alert">{error}</div>}
        <input aria-label="user name" placeholder="user name" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        <input type="password" aria-label="password" placeholder="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" className="primary" disabled={!username || !password}>Sign in</button>
        {sso && (
          <a className="button" data-testid="sso" href={`/api/v1/auth/oidc/login?next=${encodeURIComponent(`/${window.location.hash}`)}`}>
            Sign in with single sign-on ({new URL(sso).host})
          </a>
        )}
      </form>
      <form onSubmit={(e) => { e.preventDefault(); saveToken(token); reconnect(); onDone(); }}>
        <p className="muted">Or paste a token: a personal access token (<code className="cmd">stratus token create</code>) or the
          workspace token the server was started with (<code className="cmd">STRATUS_AUTH_TOKEN</code>).</p>
        <input type="password" aria-label="token" placeholder="token" value={token} onChange={(e) => setToken(e.target.value)} />
        <button type="submit" disabled={!token}>Use token</button>
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
    case 'access': return <AccessPage />;
    default: return <div className="error">No page {parts.join('/')}{c}</div>;
  }
}

export function App() {
  const [state, setState] = useState<'checking' | 'ready' | 'login' | 'rejected'>('checking');
  const [me, setMe] = useState<Me>();
  const check = async (afterLogin = false) => {
    try {
      const who = await client.auth.me();
      // A signed-in session's writes carry its CSRF token.
      client.setCsrfToken(who.csrf_token);
      setMe(who);
      setState('ready');
    } catch (err) {
      setState(isAuthError(err) ? (afterLogin ? 'rejected' : 'login') : 'ready');
    }
  };
  const signOut = async () => {
    await client.auth.logout().catch(() => undefined);
    forgetToken();
    reconnect();
    setMe(undefined);
    setState('login');
  };
  useEffect(() => { void check(); return onUnauthorized(() => { forgetToken(); reconnect(); setState('login'); }); }, []);
  const { parts } = useRoute();
  if (state === 'checking') return <div className="muted pad">Connecting…</div>;
  if (state === 'login' || state === 'rejected') return <SignIn failed={state === 'rejected'} onDone={() => void check(true)} />;
  const section = parts[0] ?? 'jobs';
  return (
    <div className="app">
      <nav className="nav">
        <div className="brand">Stratus</div>
        {NAV.map(([id, label]) => (
          <a key={id} href={`#/${id}`} className={section === id || (section === 'compare' && id === 'experiments') ? 'active' : ''}>{label}</a>
        ))}
        {me?.roles.includes('Owner') && me.auth_enabled && <a href="#/access" className={section === 'access' ? 'active' : ''}>Access</a>}
        {me?.auth_enabled && (
          <div className="whoami" data-testid="whoami">
            <span title={me.roles.join(', ')}>{me.username}</span>
            <button onClick={() => void signOut()} data-testid="sign-out">Sign out</button>
          </div>
        )}
      </nav>
      <main className="main"><Page /></main>
    </div>
  );
}
