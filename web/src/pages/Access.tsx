/**
 * Access, for Owners: users with their roles and groups, adding a user with a role, giving and
 * taking roles, and the audit log (every write and every denied request) with filters.
 */
import { useState } from 'react';
import { client, useData } from '../api.ts';
import { ErrorNote, Status } from '../components/Bits.tsx';
import { Table } from '../components/Table.tsx';

type Row = Record<string, any>;

function NewUser({ roles, onCreated }: { roles: string[]; onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('AzureML Data Scientist');
  const [error, setError] = useState<string>();
  const create = async () => {
    setError(undefined);
    try {
      await client.users.create({ username, password, roles: [role as never] });
      setUsername('');
      setPassword('');
      onCreated();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form className="toolbar" onSubmit={(e) => { e.preventDefault(); void create(); }}>
      <input aria-label="new user name" placeholder="user name" value={username} onChange={(e) => setUsername(e.target.value)} />
      <input aria-label="new user password" type="password" placeholder="password (8+ characters)" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <select aria-label="new user role" value={role} onChange={(e) => setRole(e.target.value)}>{roles.map((r) => <option key={r}>{r}</option>)}</select>
      <button type="submit" className="primary" disabled={!username || !password} data-testid="create-user">Add user</button>
      <ErrorNote error={error} />
    </form>
  );
}

function RoleCell({ user, roles, onChanged }: { user: Row; roles: string[]; onChanged: () => void }) {
  const [error, setError] = useState<string>();
  const change = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const missing = roles.filter((r) => !user.roles.includes(r));
  return (
    <div>
      {user.roles.map((r: string) => (
        <span key={r} className="tag">{r} <button aria-label={`remove ${r} from ${user.username}`} onClick={() => void change(() => client.roles.unassign('user', user.username, r))}>×</button></span>
      ))}
      {missing.length > 0 && (
        <select aria-label={`add role to ${user.username}`} value="" onChange={(e) => e.target.value && void change(() => client.roles.assign({ principal_type: 'user', principal: user.username, role: e.target.value as never }))}>
          <option value="">+ role</option>
          {missing.map((r) => <option key={r}>{r}</option>)}
        </select>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

function AuditLog() {
  const [user, setUser] = useState('');
  const [outcome, setOutcome] = useState('');
  const [since, setSince] = useState('24h');
  const { data, error } = useData(() => client.audit.list({ user: user || undefined, outcome: outcome || undefined, since: since || undefined, max_results: '200' }), [user, outcome, since], 5000);
  return (
    <div>
      <div className="toolbar">
        <input aria-label="audit user" placeholder="user" value={user} onChange={(e) => setUser(e.target.value)} />
        <select aria-label="audit outcome" value={outcome} onChange={(e) => setOutcome(e.target.value)}>
          <option value="">any outcome</option><option>allowed</option><option>denied</option><option>failed</option>
        </select>
        <select aria-label="audit since" value={since} onChange={(e) => setSince(e.target.value)}>
          <option value="1h">last hour</option><option value="24h">last day</option><option value="7d">last week</option><option value="">all</option>
        </select>
      </div>
      <ErrorNote error={error} />
      <Table<Row>
        testId="audit-log"
        rows={(data?.value ?? []) as Row[]}
        rowKey={(r) => `${r.time}-${r.route}-${r.user}-${r.status}-${Math.random()}`}
        columns={[
          { key: 'time', label: 'Time', render: (r) => new Date(r.time).toLocaleString(), width: '170px' },
          { key: 'user', label: 'User', render: (r) => r.user ?? '–', width: '140px' },
          { key: 'action', label: 'Action', width: '150px' },
          { key: 'request', label: 'Request', render: (r) => `${r.method} ${r.route}${r.target ? ` (${r.target})` : ''}` },
          { key: 'outcome', label: 'Outcome', render: (r) => <Status value={r.outcome === 'allowed' ? 'Succeeded' : 'Failed'} />, width: '110px' },
          { key: 'status', label: 'HTTP', width: '60px' },
          { key: 'ip', label: 'From', render: (r) => r.ip ?? '', width: '110px' },
        ]}
      />
    </div>
  );
}

export function AccessPage() {
  const { data: users, error, reload } = useData(() => client.users.list(), [], 10_000);
  const { data: roles } = useData(() => client.roles.list(), []);
  const roleNames = (roles?.value ?? []).map((r) => String(r.name));
  return (
    <div>
      <h1>Access</h1>
      <ErrorNote error={error} />
      <h2>Users</h2>
      <NewUser roles={roleNames} onCreated={() => void reload()} />
      <Table<Row>
        testId="users"
        rows={(users?.value ?? []) as Row[]}
        rowKey={(u) => u.username}
        columns={[
          { key: 'username', label: 'User', width: '180px' },
          { key: 'admin', label: 'Admin', render: (u) => (u.is_admin ? 'yes' : ''), width: '70px' },
          { key: 'roles', label: 'Roles', render: (u) => <RoleCell user={u} roles={roleNames} onChanged={() => void reload()} /> },
          { key: 'groups', label: 'Groups', render: (u) => u.groups.join(', ') },
          { key: 'created', label: 'Created', render: (u) => `${new Date(u.created_at).toLocaleDateString()}${u.created_by ? ` by ${u.created_by}` : ''}` },
        ]}
      />
      <h2>Roles</h2>
      <ul>{(roles?.value ?? []).map((r) => <li key={String(r.name)}><strong>{String(r.name)}</strong>: {String(r.description)}</li>)}</ul>
      <h2>Audit log</h2>
      <AuditLog />
    </div>
  );
}
