/** One shell word, single-quoted: safe for any text in a bash command line. */
export const shellQuote = (s: string): string => "'" + s.replace(/'/g, "'\\''") + "'";
