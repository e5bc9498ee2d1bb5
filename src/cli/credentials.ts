/**
 * Tokens `stratus login` saved, one per workspace URL, in `~/.stratus/credentials.json`
 * (STRATUS_CONFIG_DIR to move it), readable by this user only. STRATUS_TOKEN or
 * MLFLOW_TRACKING_TOKEN in the environment win over it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SavedLogin { token: string; token_id: string; username: string; expires_at?: string }

const file = () => path.join(process.env.STRATUS_CONFIG_DIR || path.join(os.homedir(), '.stratus'), 'credentials.json');

function readAll(): Record<string, SavedLogin> {
  try {
    return JSON.parse(fs.readFileSync(file(), 'utf8')) as Record<string, SavedLogin>;
  } catch {
    return {};
  }
}

export const savedLogin = (url: string): SavedLogin | undefined => readAll()[url];

export function saveLogin(url: string, login: SavedLogin | undefined): void {
  const all = readAll();
  if (login) all[url] = login;
  else delete all[url];
  fs.mkdirSync(path.dirname(file()), { recursive: true, mode: 0o700 });
  const tmp = `${file()}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(all, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file());
}

/** The token the CLI sends: the environment's, else the one saved for this workspace. */
export const cliToken = (url: string): string | undefined => process.env.STRATUS_TOKEN || process.env.MLFLOW_TRACKING_TOKEN || savedLogin(url)?.token;
