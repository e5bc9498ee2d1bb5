/**
 * Request bodies as JSON, in linear time whatever the input.
 *
 * Python's json module writes bare NaN, Infinity and -Infinity, which JSON.parse refuses; the
 * MLflow client sends them for metric values. Only when the native parser refuses a body, one
 * pass over the text quotes those tokens where they stand as values (never inside strings) and
 * the body is parsed again. Nesting depth is bounded after parsing (input-guard.ts).
 */
import { StratusError } from '../util/errors.ts';

const malformed = (why: string) => new StratusError('BAD_REQUEST', `Malformed JSON request body: ${why}`);

const BARE_NUMBERS = ['-Infinity', 'Infinity', 'NaN'];

/** Parses a JSON body; empty means {}. Throws a 400 that says what is wrong. */
export function parseJsonText(body: string): unknown {
  if (!body || !body.trim()) return {};
  try {
    return JSON.parse(body);
  } catch (err) {
    const quoted = quoteBareNumbers(body);
    if (quoted === body) throw malformed((err as Error).message.slice(0, 200));
    try {
      return JSON.parse(quoted);
    } catch (again) {
      throw malformed((again as Error).message.slice(0, 200));
    }
  }
}

/** One pass: the text with bare NaN/Infinity/-Infinity quoted wherever they stand outside strings. */
function quoteBareNumbers(body: string): string {
  let out = '';
  let copiedTo = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string; a backslash escapes the next character.
      for (i++; i < body.length; i++) {
        const s = body.charCodeAt(i);
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x4e /* N */ || c === 0x49 /* I */ || c === 0x2d /* - */) {
      const token = BARE_NUMBERS.find((t) => body.startsWith(t, i));
      if (token) {
        out += body.slice(copiedTo, i) + `"${token}"`;
        i += token.length - 1;
        copiedTo = i + 1;
      }
    }
  }
  return copiedTo === 0 ? body : out + body.slice(copiedTo);
}
