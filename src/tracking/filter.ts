/**
 * MLflow's search filter grammar: `clause (AND clause)*`, where a clause is
 * `<entity>.<key> <op> <value>`, `<key> IS [NOT] NULL` or `<key> [NOT] IN (<values>)`.
 * Keys may be quoted with backticks or double quotes (metrics.`my metric`); entities are
 * metrics, params, tags, attributes (attribute, attr, run), datasets; no prefix means attribute.
 * The parser only builds clauses: each search maps them to SQL with its own column table.
 */
import { invalid } from '../util/errors.ts';

export type Entity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
export type Op = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';
export type Value = string | number | string[] | null;

export interface Clause {
  entity: Entity;
  key: string;
  op: Op;
  value: Value;
}

const ENTITY_PREFIX: Record<string, Entity> = {
  metric: 'metric', metrics: 'metric',
  param: 'param', params: 'param', parameter: 'param', parameters: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', run: 'attribute',
  dataset: 'dataset', datasets: 'dataset',
};

type Token =
  | { kind: 'ident'; entity: Entity; key: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'op'; value: string }
  | { kind: 'word'; value: string }
  | { kind: 'punct'; value: '(' | ')' | ',' };

const WORDS = new Set(['AND', 'IN', 'NOT', 'LIKE', 'ILIKE', 'IS', 'NULL']);

/**
 * Bounds on what one filter may ask of the store: every clause is a subquery, so an unbounded
 * filter could hold a database connection for minutes.
 */
export const FILTER_LIMITS = { length: 20_000, clauses: 50, inValues: 1000 };

function fail(filter: string, why: string): never {
  const shown = filter.length > 200 ? `${filter.slice(0, 200)}…` : filter;
  throw invalid(`Invalid filter '${shown}': ${why}`);
}

function readQuoted(src: string, i: number, filter: string): [string, number] {
  const quote = src[i];
  let out = '';
  let j = i + 1;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\' && j + 1 < src.length && quote !== '`') {
      out += src[j + 1];
      j += 2;
      continue;
    }
    if (c === quote) {
      // SQL-style doubled quote inside a string
      if (src[j + 1] === quote && quote === "'") {
        out += quote;
        j += 2;
        continue;
      }
      return [out, j + 1];
    }
    out += c;
    j++;
  }
  fail(filter, `unterminated quoted text starting at position ${i}`);
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  const s = filter;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { tokens.push({ kind: 'punct', value: c }); i++; continue; }
    if (c === "'" || c === '"') {
      const [value, next] = readQuoted(s, i, filter);
      tokens.push({ kind: 'string', value });
      i = next;
      continue;
    }
    const op = /^(!=|>=|<=|==|=|>|<|<>)/.exec(s.slice(i));
    if (op) {
      const v = op[1] === '==' ? '=' : op[1] === '<>' ? '!=' : op[1];
      tokens.push({ kind: 'op', value: v });
      i += op[1].length;
      continue;
    }
    const num = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?(?![\w.])/.exec(s.slice(i));
    if (num) {
      tokens.push({ kind: 'number', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    if (c === '`') {
      // A whole identifier in backticks without entity prefix: attribute.
      const [key, next] = readQuoted(s, i, filter);
      tokens.push({ kind: 'ident', entity: 'attribute', key });
      i = next;
      continue;
    }
    const word = /^[A-Za-z_][\w]*/.exec(s.slice(i));
    if (word) {
      const w = word[0];
      i += w.length;
      const upper = w.toUpperCase();
      if (s[i] === '.' && ENTITY_PREFIX[w.toLowerCase()]) {
        const entity = ENTITY_PREFIX[w.toLowerCase()];
        i++;
        let key: string;
        if (s[i] === '`' || s[i] === '"') {
          [key, i] = readQuoted(s, i, filter);
        } else {
          const k = /^[\w.\-/:]+/.exec(s.slice(i));
          if (!k) fail(filter, `expected a key after '${w}.'`);
          key = k[0];
          i += key.length;
        }
        tokens.push({ kind: 'ident', entity, key });
      } else if (WORDS.has(upper)) {
        tokens.push({ kind: 'word', value: upper });
      } else {
        const rest = /^[\w.]*/.exec(s.slice(i))![0];
        i += rest.length;
        tokens.push({ kind: 'ident', entity: 'attribute', key: w + rest });
      }
      continue;
    }
    fail(filter, `unexpected character '${c}' at position ${i}`);
  }
  return tokens;
}

export function parseFilter(filter: string | undefined | null): Clause[] {
  if (!filter || !filter.trim()) return [];
  if (filter.length > FILTER_LIMITS.length) fail(filter, `it is ${filter.length} characters long; at most ${FILTER_LIMITS.length} are accepted`);
  const tokens = tokenize(filter);
  const clauses: Clause[] = [];
  let i = 0;
  const peek = () => tokens[i];
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.value === w;
  while (i < tokens.length) {
    const ident = tokens[i++];
    if (ident.kind !== 'ident') fail(filter, `expected an identifier such as metrics.accuracy, got ${describe(ident)}`);
    const t = tokens[i++];
    let clause: Clause;
    if (t?.kind === 'op') {
      const v = tokens[i++];
      if (!v || (v.kind !== 'string' && v.kind !== 'number')) fail(filter, `expected a value after '${t.value}'`);
      clause = { entity: ident.entity, key: ident.key, op: t.value as Op, value: v.value };
    } else if (isWord(t, 'LIKE') || isWord(t, 'ILIKE')) {
      const v = tokens[i++];
      if (v?.kind !== 'string') fail(filter, `${(t as { value: string }).value} needs a quoted pattern`);
      clause = { entity: ident.entity, key: ident.key, op: (t as { value: string }).value as Op, value: v.value };
    } else if (isWord(t, 'IS')) {
      let op: Op = 'IS NULL';
      if (isWord(peek(), 'NOT')) { i++; op = 'IS NOT NULL'; }
      if (!isWord(tokens[i++], 'NULL')) fail(filter, 'expected NULL after IS');
      clause = { entity: ident.entity, key: ident.key, op, value: null };
    } else if (isWord(t, 'IN') || (isWord(t, 'NOT') && isWord(peek(), 'IN'))) {
      const op: Op = isWord(t, 'NOT') ? 'NOT IN' : 'IN';
      if (op === 'NOT IN') i++;
      const open = tokens[i++];
      if (open?.kind !== 'punct' || open.value !== '(') fail(filter, `${op} needs a parenthesised list like ('a', 'b')`);
      const values: string[] = [];
      for (;;) {
        const v = tokens[i++];
        if (v?.kind !== 'string') fail(filter, `${op} lists hold quoted strings`);
        values.push(v.value);
        if (values.length > FILTER_LIMITS.inValues) fail(filter, `an ${op} list holds at most ${FILTER_LIMITS.inValues} values`);
        const sep = tokens[i++];
        if (sep?.kind === 'punct' && sep.value === ')') break;
        if (sep?.kind !== 'punct' || sep.value !== ',') fail(filter, `expected ',' or ')' in the ${op} list`);
      }
      clause = { entity: ident.entity, key: ident.key, op, value: values };
    } else {
      fail(filter, `expected a comparison operator after '${ident.key}'`);
    }
    clauses.push(clause);
    if (clauses.length > FILTER_LIMITS.clauses) fail(filter, `at most ${FILTER_LIMITS.clauses} clauses are accepted; narrow the search another way (e.g. by experiment)`);
    if (i < tokens.length) {
      if (!isWord(tokens[i], 'AND')) fail(filter, `expected AND between clauses, got ${describe(tokens[i])} (OR is not supported)`);
      i++;
      if (i >= tokens.length) fail(filter, 'a clause must follow AND');
    }
  }
  return clauses;
}

function describe(t: Token | undefined): string {
  if (!t) return 'the end of the filter';
  if (t.kind === 'ident') return `'${t.key}'`;
  return `'${String((t as { value: unknown }).value)}'`;
}

export interface OrderTerm {
  entity: Entity;
  key: string;
  ascending: boolean;
}

/** Parses one `order_by` entry: `metrics.acc DESC`, `attributes.start_time`, `name ASC`. */
export function parseOrderBy(term: string): OrderTerm {
  const m = /^\s*(.+?)(?:\s+(ASC|DESC))?\s*$/i.exec(term);
  if (!m) throw invalid(`Invalid order_by clause '${term}'.`);
  const tokens = tokenize(m[1]);
  if (tokens.length !== 1 || tokens[0].kind !== 'ident') {
    throw invalid(`Invalid order_by clause '${term}'. Use e.g. 'metrics.accuracy DESC' or 'attributes.start_time ASC'.`);
  }
  const t = tokens[0];
  return { entity: t.entity, key: t.key, ascending: (m[2] ?? 'ASC').toUpperCase() === 'ASC' };
}

/** SQL for `column <op> ?`, with the parameters it needs. LIKE is case-sensitive, ILIKE is not. */
export function comparison(column: string, op: Op, value: Value): { sql: string; params: (string | number)[] } {
  switch (op) {
    case 'LIKE':
      return { sql: `${column} LIKE ?`, params: [value as string] };
    case 'ILIKE':
      return { sql: `LOWER(${column}) LIKE LOWER(?)`, params: [value as string] };
    case 'IN':
    case 'NOT IN': {
      const list = value as string[];
      return { sql: `${column} ${op} (${list.map(() => '?').join(', ')})`, params: list };
    }
    case 'IS NULL':
      return { sql: `${column} IS NULL`, params: [] };
    case 'IS NOT NULL':
      return { sql: `${column} IS NOT NULL`, params: [] };
    default:
      return { sql: `${column} ${op} ?`, params: [value as string | number] };
  }
}

/** Opaque page token: base64 of {"offset": n}, the same shape MLflow's SQL store uses. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function decodePageToken(token: string | undefined | null): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    const offset = parsed?.offset;
    if (Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    /* fall through */
  }
  throw invalid(`Invalid page token '${token.slice(0, 100)}': pass the next_page_token of a previous search unchanged.`);
}

const NUMERIC_OPS = new Set(['=', '!=', '>', '>=', '<', '<=']);
const STRING_OPS = new Set(['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN', 'IS NULL', 'IS NOT NULL']);

export function requireNumeric(c: Clause): number {
  if (!NUMERIC_OPS.has(c.op)) throw invalid(`Invalid comparator '${c.op}' for numeric key '${c.key}'. Use =, !=, >, >=, < or <=.`);
  if (typeof c.value !== 'number') {
    const n = typeof c.value === 'string' ? Number(c.value) : NaN;
    if (!Number.isFinite(n)) throw invalid(`Expected a numeric value for '${c.key}', got '${String(c.value)}'.`);
    return n;
  }
  return c.value;
}

export function requireString(c: Clause): void {
  if (!STRING_OPS.has(c.op)) throw invalid(`Invalid comparator '${c.op}' for string key '${c.key}'. Use =, !=, LIKE, ILIKE, IN or IS NULL.`);
  if (typeof c.value === 'number') {
    throw invalid(`Value for '${c.key}' must be a quoted string, e.g. ${c.key} = '${c.value}'.`);
  }
}
