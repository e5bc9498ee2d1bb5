const QUOTE = '\u0022';
const NEEDS_QUOTES = new RegExp(`[${QUOTE},\\r\\n]`);

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; objects as their JSON. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll(QUOTE, QUOTE + QUOTE)}"` : s;
}
