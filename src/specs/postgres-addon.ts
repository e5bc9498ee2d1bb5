/**
 * The Stratus add-on for a user's own PostgreSQL, as SQL: PL/Python functions in schema `ml`
 * that read the workspace's registry (`ml.models`), score its ONNX models inside the database
 * (`ml.predict`, a model loaded once per connection) and run Python over a query's rows
 * (`ml.execute_script`). Their code is the stratus_pg package in a virtual environment of the
 * add-on's own; `ml.config` says where it is and how to reach the workspace (readable by its
 * owner only: it holds the token). Where the server has PL/R, R scripts run next to the data
 * too (`ml.execute_script(script, query, 'R')`).
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
  // The language chosen by name, as SQL Server's @language; R only where PL/R was installed.
  `CREATE OR REPLACE FUNCTION ml.execute_script(script text, input_query text, language text) RETURNS SETOF jsonb LANGUAGE plpgsql AS $stratus$
BEGIN
  IF lower(language) = 'python' THEN
    RETURN QUERY SELECT * FROM ml.execute_script(script, input_query);
  ELSIF lower(language) = 'r' THEN
    IF to_regprocedure('ml.execute_r_script(text,text)') IS NULL THEN
      RAISE EXCEPTION 'PL/R is not installed in this database: install it on the server (Debian: postgresql-15-plr) and run stratus sql install again';
    END IF;
    RETURN QUERY EXECUTE 'SELECT * FROM ml.execute_r_script($1, $2)' USING script, input_query;
  ELSE
    RAISE EXCEPTION 'language % is not installed here: use ''Python'' or ''R''', language;
  END IF;
END
$stratus$`,
];

/**
 * R over a query's rows, in PL/R: the rows as the data.frame `InputDataSet`, `OutputDataSet`'s
 * rows back as jsonb, `print()` output as notices and `stop()` as the error. R's own packages
 * only (jsonlite, which IRkernel's Debian package brings).
 */
export const ADDON_R_STATEMENTS: string[] = [
  'CREATE EXTENSION IF NOT EXISTS plr',
  `CREATE OR REPLACE FUNCTION ml.execute_r_script(script text, input_query text DEFAULT NULL) RETURNS SETOF jsonb LANGUAGE plr AS $stratus$
env <- new.env()
assign("InputDataSet", if (is.null(input_query)) data.frame() else pg.spi.exec(input_query), envir = env)
printed <- tryCatch(capture.output(eval(parse(text = script), envir = env)),
  error = function(e) pg.throwerror(paste("R script error:", conditionMessage(e))))
for (line in printed) pg.thrownotice(line)
out <- get0("OutputDataSet", envir = env, inherits = FALSE, ifnotfound = NULL)
if (is.null(out)) return(character(0))
out <- as.data.frame(out)
if (nrow(out) == 0) return(character(0))
vapply(seq_len(nrow(out)), function(i) as.character(jsonlite::toJSON(as.list(out[i, , drop = FALSE]), auto_unbox = TRUE, digits = NA, na = "null")), "")
$stratus$`,
];

/** The configuration rows (`$1` key, `$2` value), upserted. */
export const CONFIG_UPSERT = 'INSERT INTO ml.config (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value';

/** What the add-on's environment holds besides stratus_pg (the server's own Python runs it). */
export const ADDON_REQUIREMENTS = ['numpy==2.4.6', 'pandas==3.1.1', 'onnxruntime==1.23.2'];
