/** bench/RESULTS.md holds one section per benchmark; each run replaces only its own section. */
import fs from 'node:fs';
import path from 'node:path';

const FILE = path.join(import.meta.dirname, 'RESULTS.md');

export function writeSection(heading: string, body: string): void {
  const existing = fs.existsSync(FILE) ? fs.readFileSync(FILE, 'utf8') : '# Benchmark results\n';
  const sections = existing.split(/^(?=## )/m);
  const title = sections[0].startsWith('## ') ? '# Benchmark results\n\n' : sections.shift()!;
  const others = sections.filter((s) => !s.startsWith(heading));
  const mine = `${heading}\n\n${body.trim()}\n\n`;
  fs.writeFileSync(FILE, [title.trimEnd() + '\n\n', ...others.map((s) => s.trimEnd() + '\n\n'), mine].join('').trimEnd() + '\n');
}

/** `--name <number>` from the command line, else the fallback. */
export const numberArg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Milliseconds as seconds with two decimals. */
export const secs = (ms: number) => (ms / 1000).toFixed(2);
