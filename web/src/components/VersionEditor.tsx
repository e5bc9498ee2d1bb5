/** Edits a model version's description, aliases and tags in place, through the MLflow registry API. */
import { useState } from 'react';
import { client } from '../api.ts';
import { ErrorNote } from './Bits.tsx';

interface Version { name: string; version: string; description?: string; aliases?: string[]; tags?: { key: string; value: string }[] }

export function VersionEditor({ v, onSaved }: { v: Version; onSaved: () => void }) {
  const [description, setDescription] = useState<string>();
  const [alias, setAlias] = useState('');
  const [tag, setTag] = useState({ key: '', value: '' });
  const [error, setError] = useState<string>();
  const act = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      onSaved();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div className="version-editor">
      <h3>Description</h3>
      {description === undefined ? (
        <div data-testid="version-description">{v.description || <span className="muted">No description.</span>} <button onClick={() => setDescription(v.description ?? '')} data-testid="edit-version-description">Edit</button></div>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); void act(() => client.registry.updateVersion(v.name, v.version, description)).then(() => setDescription(undefined)); }}>
          <textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} aria-label="version description" />
          <button className="primary" type="submit" data-testid="save-version-description">Save</button>
        </form>
      )}
      <h3>Aliases</h3>
      <div data-testid="aliases">
        {(v.aliases ?? []).map((a) => (
          <span key={a} className="chip">@{a} <button aria-label={`remove alias ${a}`} onClick={() => void act(() => client.registry.deleteAlias(v.name, a))}>×</button></span>
        ))}
        <form className="toolbar" onSubmit={(e) => { e.preventDefault(); if (alias) void act(() => client.registry.setAlias(v.name, alias, v.version)).then(() => setAlias('')); }}>
          <input placeholder="alias, e.g. champion" value={alias} onChange={(e) => setAlias(e.target.value)} data-testid="alias-name" />
          <button type="submit" data-testid="add-alias">Add alias</button>
        </form>
      </div>
      <h3>Tags</h3>
      <div data-testid="version-tags">
        {(v.tags ?? []).filter((t) => !t.key.startsWith('stratus.')).map((t) => (
          <span key={t.key} className="chip">{t.key}={t.value} <button aria-label={`remove tag ${t.key}`} onClick={() => void act(() => client.registry.deleteVersionTag(v.name, v.version, t.key))}>×</button></span>
        ))}
        <form className="toolbar" onSubmit={(e) => { e.preventDefault(); if (tag.key) void act(() => client.registry.setVersionTag(v.name, v.version, tag.key, tag.value)).then(() => setTag({ key: '', value: '' })); }}>
          <input placeholder="tag" value={tag.key} onChange={(e) => setTag({ ...tag, key: e.target.value })} data-testid="version-tag-key" />
          <input placeholder="value" value={tag.value} onChange={(e) => setTag({ ...tag, value: e.target.value })} data-testid="version-tag-value" />
          <button type="submit" data-testid="add-version-tag">Set tag</button>
        </form>
      </div>
      <ErrorNote error={error} />
    </div>
  );
}
