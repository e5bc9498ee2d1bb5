/**
 * The Stratus add-on for a user's own PostgreSQL, as SQL: PL/Python functions in schema `ml`
 * that read the workspace's registry (`ml.models`), score its ONNX models inside the database
 * (`ml.predict`, a model loaded once per connection) and run Python over a query's rows
 * (`ml.execute_script`). Their code is the stratus_pg package in a virtual environment of the
 * add-on's own; `ml.config` says where it is and how to reach the workspace (readable by its
 * owner only: it holds the token).
 */

/** Every function starts by putting the add-on's environment on the server's Python path. */
const PROLOGUE = `import sys
_sp = plpy.execute("SELECT value FROM ml.config WHERE key = 'site_packages'")[0]["value"]
if _sp not in sys.path:
    sys.path.insert(0, _sp)
from stratus_pg import addon`;

const fn = (signature: string, returns: string, body: string) =>
  `CREATE OR REPLACE FUNCTION ${signature} RETURNS ${returns} LANGUAGE plpython3u AS $stratus$\n${PROLOGUE}\n${body}\n$stratus$`;

export const ADDON_STATEMENTS: string[] = [
  'CREATE EXTENSION IF NOT EXISTS plpython3u',
  'CREATE SCHEMA IF NOT EXISTS ml',
  'CREATE TABLE IF NOT EXISTS ml.config (key text PRIMARY KEY, value text NOT NULL)',
  'REVOKE ALL ON ml.config FROM PUBLIC',
  fn('ml.list_models()', 'TABLE (name text, version integer, type text, stage text, run_id text, path text, created_at timestamptz)', 'return addon.list_models(GD, plpy)'),
  'CREATE OR REPLACE VIEW ml.models AS SELECT * FROM ml.list_models()',
  fn('ml.predict(model text, VARIADIC features double precision[])', 'double precision', 'return addon.predict(GD, plpy, model, features)'),
  fn('ml.execute_script(script text, input_query text DEFAULT NULL)', 'SETOF jsonb', 'return addon.execute_script(GD, plpy, script, input_query)'),
];

/** The configuration rows (`$1` key, `$2` value), upserted. */
export const CONFIG_UPSERT = 'INSERT INTO ml.config (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value';

/** What the add-on's environment holds besides stratus_pg (the server's own Python runs it). */
export const ADDON_REQUIREMENTS = ['numpy==2.4.6', 'pandas==3.1.1', 'onnxruntime==1.23.2'];
