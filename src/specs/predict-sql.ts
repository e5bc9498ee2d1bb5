/**
 * SQL Server's PREDICT, read from a query's text as SQL Server writes it:
 *
 *   SELECT d.*, p.score FROM PREDICT(MODEL = 'name@alias' | 'name:version', DATA = table_or_subquery AS d
 *     [, RUNTIME = ONNX]) WITH (score FLOAT, ...) AS p
 *
 * One linear pass over the text that skips string literals, quoted identifiers and comments, so
 * a PREDICT inside a string is left alone. Each call found is cut out of the query with its
 * position; the engine replaces it with the scored rows (`d` and `p` side by side, row for row).
 */
import { invalid } from '../util/errors.ts';

export interface PredictCall {
  /** Where `PREDICT(` starts and where the call (with its WITH list and alias) ends in the query. */
  start: number;
  end: number;
  model: string;
  /** The DATA table source as written: a table name or a parenthesised query. */
  data: string;
  dataAlias: string;
  outputs: { name: string; type: string }[];
  alias: string;
}

/** T-SQL result-set types and the DuckDB types their values are kept in (T-SQL's FLOAT is a double). */
const TYPES: Record<string, string> = {
  float: 'DOUBLE', real: 'FLOAT', double: 'DOUBLE', decimal: 'DOUBLE', numeric: 'DOUBLE', money: 'DOUBLE',
  int: 'INTEGER', integer: 'INTEGER', bigint: 'BIGINT', smallint: 'SMALLINT', tinyint: 'TINYINT', bit: 'BOOLEAN',
  varchar: 'VARCHAR', nvarchar: 'VARCHAR', char: 'VARCHAR', nchar: 'VARCHAR', text: 'VARCHAR', ntext: 'VARCHAR',
};

/** The DuckDB type for a T-SQL type as written (`FLOAT`, `NVARCHAR(50)`, `DECIMAL(10,2)`). */
export function sqlServerType(written: string): string {
  const base = written.trim().toLowerCase().replace(/\s*\(.*\)$/, '');
  const t = TYPES[base];
  if (!t) throw invalid(`Unknown type '${written}' in WITH (...): use FLOAT, REAL, INT, BIGINT, SMALLINT, TINYINT, BIT, DECIMAL, VARCHAR or NVARCHAR.`);
  return t;
}

/** Index just past a string literal, quoted identifier or comment starting at i, or i when none starts there. */
export function skipOpaque(sql: string, i: number): number {
  const c = sql[i];
  if (c === "'" || c === '"') {
    let j = i + 1;
    while (j < sql.length) {
      if (sql[j] === c) {
        if (sql[j + 1] === c) j += 2;
        else return j + 1;
      } else j++;
    }
    throw invalid(`Unterminated ${c === "'" ? 'string literal' : 'quoted identifier'} starting at character ${i + 1}.`);
  }
  if (c === '-' && sql[i + 1] === '-') {
    const nl = sql.indexOf('\n', i);
    return nl < 0 ? sql.length : nl + 1;
  }
  if (c === '/' && sql[i + 1] === '*') {
    const close = sql.indexOf('*/', i + 2);
    if (close < 0) throw invalid(`Unterminated comment starting at character ${i + 1}.`);
    return close + 2;
  }
  return i;
}

/** The index of the parenthesis closing the one at `open`, skipping strings and comments. */
export function closing(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length;) {
    const next = skipOpaque(sql, i);
    if (next !== i) {
      i = next;
      continue;
    }
    if (sql[i] === '(') depth++;
    else if (sql[i] === ')' && --depth === 0) return i;
    i++;
  }
  throw invalid(`Unbalanced parentheses: the '(' at character ${open + 1} is never closed.`);
}

/** Top-level comma-separated parts of `text` (commas inside parentheses, strings or comments stay). */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length;) {
    const next = skipOpaque(text, i);
    if (next !== i) {
      i = next;
      continue;
    }
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
    i++;
  }
  parts.push(text.slice(from));
  return parts.map((p) => p.trim());
}

const WORD = /[A-Za-z0-9_]/;
const IDENT = /^(?:[A-Za-z_][\w]*|"(?:[^"]|"")+"|\[[^\]]+\])$/;

function unquote(ident: string): string {
  if (ident.startsWith('"')) return ident.slice(1, -1).replace(/""/g, '"');
  if (ident.startsWith('[')) return ident.slice(1, -1);
  return ident;
}

function readArgs(inside: string): { model: string; data: string; dataAlias: string } {
  let model: string | undefined;
  let data: { source: string; alias: string } | undefined;
  for (const part of splitTopLevel(inside)) {
    const eq = /^(\w+)\s*=\s*([\s\S]*)$/.exec(part);
    if (!eq) throw invalid(`PREDICT takes MODEL = '<name>@<alias>' or '<name>:<version>', DATA = <table> AS <alias> and RUNTIME = ONNX; got '${part.slice(0, 80)}'.`);
    const [, key, value] = eq;
    const k = key.toUpperCase();
    if (k === 'MODEL') {
      const m = /^N?'((?:[^']|'')+)'$/.exec(value.trim());
      if (!m) throw invalid(`PREDICT's MODEL must be a quoted model reference such as 'churn@champion' or 'churn:3'; got ${value.trim().slice(0, 80)}.`);
      model = m[1].replace(/''/g, "'");
    } else if (k === 'DATA') {
      const m = /^([\s\S]+?)\s+AS\s+("(?:[^"]|"")+"|\[[^\]]+\]|[A-Za-z_]\w*)$/i.exec(value.trim());
      if (!m) throw invalid(`PREDICT's DATA needs an alias, as SQL Server requires: DATA = my_table AS d.`);
      data = { source: m[1].trim(), alias: unquote(m[2]) };
    } else if (k === 'RUNTIME') {
      if (value.trim().toUpperCase() !== 'ONNX') throw invalid(`PREDICT's RUNTIME may only be ONNX; got ${value.trim().slice(0, 40)}.`);
    } else {
      throw invalid(`PREDICT has no argument '${key}': use MODEL, DATA and RUNTIME.`);
    }
  }
  if (!model) throw invalid("PREDICT needs MODEL = '<name>@<alias>' or '<name>:<version>'.");
  if (!data) throw invalid('PREDICT needs DATA = <table or (query)> AS <alias>.');
  return { model, data: data.source, dataAlias: data.alias };
}

/** Every PREDICT(...) WITH (...) AS alias in the query, in order. */
export function findPredicts(sql: string): PredictCall[] {
  const calls: PredictCall[] = [];
  for (let i = 0; i < sql.length;) {
    const next = skipOpaque(sql, i);
    if (next !== i) {
      i = next;
      continue;
    }
    const isWordStart = !WORD.test(sql[i - 1] ?? '');
    if (!isWordStart || !/^predict\s*\(/i.test(sql.slice(i, i + 40))) {
      i++;
      continue;
    }
    const open = sql.indexOf('(', i);
    const close = closing(sql, open);
    const args = readArgs(sql.slice(open + 1, close));
    const rest = sql.slice(close + 1);
    const withMatch = /^\s*WITH\s*\(/i.exec(rest);
    if (!withMatch) throw invalid('PREDICT needs WITH ( <column> <type>, ... ) after it, naming the columns the model returns (e.g. WITH (score FLOAT)).');
    const withOpen = close + 1 + withMatch[0].length - 1;
    const withClose = closing(sql, withOpen);
    const outputs = splitTopLevel(sql.slice(withOpen + 1, withClose)).map((col) => {
      const m = /^("(?:[^"]|"")+"|\[[^\]]+\]|[A-Za-z_]\w*)\s+([\s\S]+)$/.exec(col);
      if (!m) throw invalid(`WITH (...) lists columns as '<name> <type>'; got '${col.slice(0, 60)}'.`);
      return { name: unquote(m[1]), type: sqlServerType(m[2]) };
    });
    const aliasMatch = /^\s*(?:AS\s+)?("(?:[^"]|"")+"|\[[^\]]+\]|[A-Za-z_]\w*)/i.exec(sql.slice(withClose + 1));
    if (!aliasMatch || !IDENT.test(aliasMatch[1]) || /^(where|group|order|join|on|limit|union)$/i.test(aliasMatch[1])) {
      throw invalid('PREDICT ... WITH (...) needs an alias for its result, as SQL Server requires: ... WITH (score FLOAT) AS p.');
    }
    const end = withClose + 1 + aliasMatch[0].length;
    calls.push({ start: i, end, ...args, outputs, alias: unquote(aliasMatch[1]) });
    i = end;
  }
  return calls;
}
