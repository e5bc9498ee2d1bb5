/**
 * Request bodies as JSON, in linear time whatever the input.
 *
 * Python's json module writes bare NaN, Infinity and -Infinity, which JSON.parse refuses; the
 * MLflow client sends them for metric values. One pass over the text quotes those tokens where
 * they stand as values (never inside strings), and measures the nesting depth on the way, so a
 * hostile body costs time proportional to its size and never a deep recursion later.
 */
import { StratusError } from '../util/errors.ts';

const malformed = (why: string) => new StratusError('BAD_REQUEST', `Malformed JSON request body: ${why}`);

/** Deep enough for any pipeline or deployment spec; far below what would exhaust a stack. */
export const MAX_JSON_DEPTH = 64;

const BARE_NUMBERS = ['-Infinity', 'Infinity', 'NaN'];

/** Parses a JSON body; empty means {}. Throws a 400 that says what is wrong. */
export function parseJsonText(body: string): unknown {
  if (!body || !body.trim()) return {};
  const { text, depth } = scan(body);
  if (depth > MAX_JSON_DEPTH) {
    throw malformed(`nested ${depth} levels deep; at most ${MAX_JSON_DEPTH} are accepted.`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformed((err as Error).message.slice(0, 200));
  }
}

/** One pass: the deepest nesting, and the text with bare NaN/Infinity quoted outside strings. */
function scan(body: string): { text: string; depth: number } {
  let depth = 0;
  let deepest = 0;
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
    } else if (c === 0x5b || c === 0x7b /* [ { */) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > MAX_JSON_DEPTH) return { text: body, depth: deepest };
    } else if (c === 0x5d || c === 0x7d /* ] } */) {
      depth--;
    } else if (c === 0x4e /* N */ || c === 0x49 /* I */ || c === 0x2d /* - */) {
      const token = BARE_NUMBERS.find((t) => body.startsWith(t, i));
      if (token) {
        out += body.slice(copiedTo, i) + `"${token}"`;
        i += token.length - 1;
        copiedTo = i + 1;
      }
    }
  }
  return { text: copiedTo === 0 ? body : out + body.slice(copiedTo), depth: deepest };
}
