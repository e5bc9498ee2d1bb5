/**
 * Terminal colours in stream text and tracebacks (SGR escape codes), turned into spans with
 * classes — escaped text only, never raw HTML from the kernel.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

export function ansiToHtml(text: string): string {
  let out = '';
  let classes: string[] = [];
  let open = false;
  // One linear pass over `ESC[...m` sequences; other escapes are dropped.
  const re = /\u001b\[([\d;]*)m|\u001b\[[\d;]*[A-Za-z]/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out += escapeHtml(text.slice(last, m.index));
    last = re.lastIndex;
    if (m[1] === undefined) continue;
    for (const code of (m[1] || '0').split(';').map(Number)) {
      if (code === 0) classes = [];
      else if (code === 1) classes.push('ansi-bold');
      else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) classes = [...classes.filter((c) => !c.startsWith('ansi-fg')), `ansi-fg${code}`];
      else if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) classes = [...classes.filter((c) => !c.startsWith('ansi-bg')), `ansi-bg${code}`];
    }
    if (open) out += '</span>';
    open = classes.length > 0;
    if (open) out += `<span class="${classes.join(' ')}">`;
  }
  out += escapeHtml(text.slice(last));
  if (open) out += '</span>';
  return out;
}
