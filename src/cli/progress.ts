/**
 * Feedback on long work: what a deployment's log says while it is created (the environment build
 * and the workers' start-up) on stderr, and upload progress — a bar on a terminal, a plain line now
 * and then when the output is a file or a pipe.
 */
import type { StratusClient } from '../client/index.ts';

type Deployment = Awaited<ReturnType<StratusClient['deployments']['show']>>;

/** The lines of `now` that come after what `before` already showed (both are tails of the same log). */
export function newLines(before: string[], now: string[]): string[] {
  for (let overlap = Math.min(before.length, now.length); overlap > 0; overlap--) {
    let same = true;
    for (let i = 0; i < overlap && same; i++) same = before[before.length - overlap + i] === now[i];
    if (same) return now.slice(overlap);
  }
  return now;
}

/** Follows a deployment until it is no longer Creating or Updating, its new log lines on stderr. */
export async function followDeployment(client: StratusClient, endpoint: string, name: string, pollMs = 1000): Promise<Deployment> {
  let shown: string[] = [];
  const started = Date.now();
  for (;;) {
    const d = await client.deployments.show(endpoint, name);
    const { content } = await client.deployments.logs(endpoint, name, 200);
    const lines = content.split('\n').filter((l) => l.trim());
    for (const line of newLines(shown, lines)) process.stderr.write(`  | ${line}\n`);
    shown = lines;
    if (d.provisioning_state !== 'Creating' && d.provisioning_state !== 'Updating') {
      process.stderr.write(`[stratus] deployment ${name}: ${d.provisioning_state} after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      return d;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Upload progress: `done` of `total` bytes. */
export function uploadProgress(what: string, total: number): (done: number) => void {
  const tty = Boolean(process.stderr.isTTY);
  const mb = (n: number) => (n / 1048576).toFixed(1);
  let lastLine = 0;
  return (done) => {
    const pct = total ? Math.floor((100 * done) / total) : 100;
    if (tty) {
      const width = 30;
      const filled = Math.round((width * pct) / 100);
      process.stderr.write(`\r${what} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${mb(done)}/${mb(total)} MB${done >= total ? '\n' : ''}`);
    } else if (done >= total || Date.now() - lastLine > 2000) {
      lastLine = Date.now();
      process.stderr.write(`${what}: ${mb(done)} of ${mb(total)} MB (${pct}%)\n`);
    }
  };
}
