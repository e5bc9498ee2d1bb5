/**
 * A kind of compute. Each provider knows how to bring its compute up and down and how to run one
 * job's command on it; the command runner (jobs/command-runner.ts) does everything around that
 * (queue, environment, working folder, inputs, artifacts, status) the same way for every kind.
 *
 * To add a kind of compute (a compute instance with Jupyter, a Spark cluster, a Hadoop cluster),
 * implement this interface in a file of its own here and register it in `providers.ts`.
 */
import type { Compute } from './compute.ts';
import type { JobPaths } from './job-paths.ts';

/** One job's command, ready to run: its files live under `paths`. */
export interface Launch {
  paths: JobPaths;
  command: string;
  env: NodeJS.ProcessEnv;
}

/** How a job's process ended. */
export interface Exit {
  /** null when no exit code was recorded (killed, or lost). */
  code: number | null;
  /** When it ended (it may have ended while the server was down). */
  endedAt: number;
}

export interface ComputeProvider {
  /** The compute `type`s this provider runs (Azure ML's words: amlcompute, computeinstance, …). */
  readonly types: readonly string[];
  /** Brings a compute up when it is created, and releases it when deleted (nothing to do for a local pool). */
  provision(compute: Compute): Promise<void>;
  deprovision(compute: Compute): Promise<void>;
  /** Extra state for `compute show` (e.g. a cluster's nodes); {} when there is none. */
  describe(compute: Compute): Promise<Record<string, unknown>>;
  /**
   * Starts a job's command. The handle it returns is stored with the job and must stay valid
   * across a server restart, so a restarted server can re-attach (`isRunning`, `waitForExit`).
   */
  launch(compute: Compute, launch: Launch): Promise<number>;
  isRunning(handle: number): boolean;
  waitForExit(handle: number, paths: JobPaths): Promise<Exit>;
  /** Ends the job's whole process tree: politely, then by force after `graceMs`. */
  cancel(handle: number, graceMs?: number): Promise<void>;
}
