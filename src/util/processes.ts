/** Small facts about other processes on this host, and signals to them. */
import fs from 'node:fs';

/** Whether a signal could reach `target` (a pid, or -pgid for a whole group). */
function reachable(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function processAlive(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && reachable(pid);
}

/** Whether any process of group `pgid` is still there. */
export function groupAlive(pgid: number): boolean {
  return Number.isInteger(pgid) && pgid > 0 && reachable(-pgid);
}

/** Sends `signal` to every process of group `pgid`; a group already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** The command line of a running process ('' when it is gone or unreadable). */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
