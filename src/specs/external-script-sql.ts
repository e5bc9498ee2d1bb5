/**
 * SQL Server's `EXEC sp_execute_external_script`, read as SQL Server writes it:
 *
 *   EXEC sp_execute_external_script @language = N'Python', @script = N'OutputDataSet = InputDataSet',
 *     @input_data_1 = N'SELECT * FROM iris', @input_data_1_name = N'InputDataSet',
 *     @output_data_1_name = N'OutputDataSet', @params = N'@k int', @k = 3
 *   WITH RESULT SETS ((species NVARCHAR(20), n INT));
 */
import { invalid } from '../util/errors.ts';
import { skipOpaque, sqlServerType } from './predict-sql.ts';

export interface ExternalScriptCall {
  language: 'Python' | 'R';
  script: string;
  inputQuery?: string;
  inputName: string;
  outputName: string;
  /** The values of the parameters @params declares, by name (without @). */
  params: Record<string, string | number | boolean | null>;
  /** WITH RESULT SETS ((name type, …)); undefined: the script's own columns (RESULT SETS UNDEFINED or none). */
  resultSet?: { name: string; type: string }[];
}

const START = /^\s*EXEC(?:UTE)?\s+(?:dbo\.)?sp_execute_external_script\b/i;

export function isExternalScript(sql: string): boolean {
  let i = 0;
  for (;;) {
    while (/\s/.test(sql[i] ?? '')) i++;
    const next = skipOpaque(sql, i);
    if (next === i || (sql[i] !== '-' && sql[i] !== '/')) break;
    i = next;
  }
  return START.test(sql.slice(i));
}

/** Splits `@a = N'x', @b = 3` at top-level commas; strings keep their commas. */
function args(text: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  let from = 0;
  const push = (to: number) => {
    const part = text.slice(from, to).trim();
    if (!part) return;
    const m = /^@(\w+)\s*=\s*([\s\S]+)$/.exec(part);
    if (!m) throw invalid(`sp_execute_external_script takes @name = value arguments; got '${part.slice(0, 60)}'.`);
    out.push({ name: m[1].toLowerCase(), value: m[2].trim() });
  };
  for (let i = 0; i < text.length;) {
    const next = skipOpaque(text, i);
    if (next !== i) {
      i = next;
      continue;
    }
    if (text[i] === ',') {
      push(i);
      from = i + 1;
    }
    i++;
  }
  push(text.length);
  return out;
}

function literal(value: string, what: string): string | number | boolean | null {
  const s = /^N?'((?:[^']|'')*)'$/is.exec(value);
  if (s) return s[1].replace(/''/g, "'");
  if (/^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(value)) return Number(value);
  if (/^null$/i.test(value)) return null;
  throw invalid(`${what}: expected a string (N'...') or a number, got ${value.slice(0, 60)}.`);
}

export function parseExternalScript(sql: string): ExternalScriptCall {
  const start = START.exec(sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, ''));
  if (!start) throw invalid('Not an EXEC sp_execute_external_script statement.');
  const body = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, '').slice(start[0].length);
  // WITH RESULT SETS at the end, outside strings.
  let cut = body.length;
  for (let i = 0; i < body.length;) {
    const next = skipOpaque(body, i);
    if (next !== i) {
      i = next;
      continue;
    }
    if (/^WITH\s+RESULT\s+SETS\b/i.test(body.slice(i, i + 40))) {
      cut = i;
      break;
    }
    i++;
  }
  const named = new Map<string, string>();
  for (const a of args(body.slice(0, cut))) named.set(a.name, a.value);
  const str = (name: string, fallback?: string) => {
    const v = named.get(name);
    if (v === undefined) return fallback;
    const l = literal(v, `@${name}`);
    if (typeof l !== 'string') throw invalid(`@${name} must be a string (N'...').`);
    return l;
  };
  const language = str('language');
  if (!language) throw invalid("sp_execute_external_script needs @language = N'Python' or N'R'.");
  const lang = language.toLowerCase() === 'python' ? 'Python' : language.toLowerCase() === 'r' ? 'R' : undefined;
  if (!lang) throw invalid(`@language = N'${language}' is not installed here: use N'Python' or N'R'.`);
  const script = str('script');
  if (!script) throw invalid('sp_execute_external_script needs @script = N\'...\', the script to run.');
  const declared = str('params');
  const params: ExternalScriptCall['params'] = {};
  if (declared) {
    for (const d of declared.split(',').map((x) => x.trim()).filter(Boolean)) {
      const m = /^@(\w+)\s+([\w() ,]+?)(\s+OUTPUT)?$/i.exec(d);
      if (!m) throw invalid(`@params declares parameters as '@name type'; got '${d}'.`);
      const name = m[1].toLowerCase();
      if (!named.has(name)) throw invalid(`@params declares @${m[1]}, but no @${m[1]} = value is given.`);
      params[m[1]] = literal(named.get(name)!, `@${m[1]}`);
    }
  }
  const known = new Set(['language', 'script', 'input_data_1', 'input_data_1_name', 'output_data_1_name', 'params', ...Object.keys(params).map((k) => k.toLowerCase())]);
  for (const k of named.keys()) if (!known.has(k)) throw invalid(`sp_execute_external_script has no argument @${k} (declare script parameters in @params).`);
  let resultSet: ExternalScriptCall['resultSet'];
  const tail = body.slice(cut).trim().replace(/;\s*$/, '');
  if (tail) {
    const m = /^WITH\s+RESULT\s+SETS\s*(UNDEFINED|NONE|\(\s*\(([\s\S]*)\)\s*\))$/i.exec(tail);
    if (!m) throw invalid('WITH RESULT SETS takes ((<column> <type>, ...)), UNDEFINED or NONE.');
    if (m[2] !== undefined) {
      resultSet = m[2].split(/,(?![^()]*\))/).map((c) => {
        const cm = /^\s*("(?:[^"]|"")+"|\[[^\]]+\]|[A-Za-z_]\w*)\s+([\s\S]+?)\s*$/.exec(c);
        if (!cm) throw invalid(`WITH RESULT SETS lists columns as '<name> <type>'; got '${c.trim().slice(0, 60)}'.`);
        return { name: cm[1].replace(/^["[]|["\]]$/g, ''), type: sqlServerType(cm[2].replace(/\s+(NOT\s+)?NULL$/i, '')) };
      });
    }
  }
  return {
    language: lang, script, inputQuery: str('input_data_1'), inputName: str('input_data_1_name', 'InputDataSet')!,
    outputName: str('output_data_1_name', 'OutputDataSet')!, params, resultSet,
  };
}
