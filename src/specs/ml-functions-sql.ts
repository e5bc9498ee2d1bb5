/**
 * The workspace's own SQL functions, found in a query's text: `ml.predict('<model>', feature, …)`
 * (a scalar: the model's score for one row's features) and `ml.execute_script('<script>',
 * '<input query>'[, 'Python' | 'R'])` (a table: what the script returns for the query's rows),
 * the same names the PostgreSQL add-on installs. One linear pass that skips string literals,
 * quoted identifiers and comments, as PREDICT's reader does.
 */
import { invalid } from '../util/errors.ts';
import type { ExternalScriptCall } from './external-script-sql.ts';
import { closing, skipOpaque, splitTopLevel } from './predict-sql.ts';

export interface MlFunctionCall {
  /** Where the function's name starts and where its closing parenthesis ends. */
  start: number;
  end: number;
  /** The arguments as written. */
  args: string[];
}

const WORD = /[A-Za-z0-9_.]/;

/** Every call of `name` (e.g. `ml.predict`, matched case-insensitively, `ml . predict` too) in the query, in order; nested calls included. */
export function findMlCalls(sql: string, name: string): MlFunctionCall[] {
  const [schema, fn] = name.split('.');
  const pattern = new RegExp(`^${schema}\\s*\\.\\s*${fn}\\s*\\(`, 'i');
  const calls: MlFunctionCall[] = [];
  for (let i = 0; i < sql.length;) {
    const next = skipOpaque(sql, i);
    if (next !== i) {
      i = next;
      continue;
    }
    const m = WORD.test(sql[i - 1] ?? '') ? null : pattern.exec(sql.slice(i, i + name.length + 16));
    if (!m) {
      i++;
      continue;
    }
    const open = i + m[0].length - 1;
    const close = closing(sql, open);
    const inside = sql.slice(open + 1, close);
    calls.push({ start: i, end: close + 1, args: inside.trim() ? splitTopLevel(inside) : [] });
    // Calls nested in the arguments are found too.
    i = open + 1;
  }
  return calls;
}

/** A string literal's text ('...' or N'...'), or undefined when the argument is not one. */
export function stringLiteral(arg: string | undefined): string | undefined {
  const m = /^N?'((?:[^']|'')*)'$/s.exec((arg ?? '').trim());
  return m ? m[1].replace(/''/g, "'") : undefined;
}

/** The model an `ml.predict(...)` call names; it must be a literal so the model is loaded before the query runs. */
export function predictModelRef(call: MlFunctionCall): string {
  const ref = stringLiteral(call.args[0]);
  if (ref === undefined) throw invalid(`ml.predict's first argument is the model, as a quoted reference ('churn@champion', 'churn:3' or 'churn'); got ${(call.args[0] ?? 'nothing').slice(0, 60)}.`);
  if (call.args.length < 2) throw invalid(`ml.predict('${ref}', …) needs the row's features after the model, e.g. ml.predict('${ref}', tenure, monthly_fees).`);
  return ref;
}

/** `ml.execute_script(script, input_query[, language])` as the external-script call it stands for. */
export function executeScriptCall(call: MlFunctionCall): ExternalScriptCall {
  const [script, input, language, ...extra] = call.args.map(stringLiteral);
  if (script === undefined || (call.args.length > 1 && input === undefined) || (call.args.length > 2 && language === undefined) || extra.length) {
    throw invalid("ml.execute_script takes quoted strings: ml.execute_script('<script>', '<input query>'[, 'Python' | 'R']).");
  }
  const lang = (language ?? 'Python').toLowerCase();
  if (lang !== 'python' && lang !== 'r') throw invalid(`ml.execute_script's language is 'Python' or 'R'; got '${language}'.`);
  return {
    language: lang === 'r' ? 'R' : 'Python', script, inputQuery: input || undefined,
    inputName: 'InputDataSet', outputName: 'OutputDataSet', params: {},
  };
}
