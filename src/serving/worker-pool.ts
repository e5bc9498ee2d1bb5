/**
 * A pool of scoring worker processes for one deployment: each runs the user's score.py through
 * python/stratus_scoring/worker.py (init() once, run() per request). Requests go to an idle
 * worker or wait in a bounded queue (429 past it); a request past `timeoutMs` gets a 504 and
 * its worker is replaced; a worker that dies is restarted and its request retried once. Idle
 * workers answer liveness and readiness probes (probes.ts) between requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { initDeadlineSeconds, ProbeState } from './probes.ts';
import type { ProbeSettings } from '../specs/probe-settings.ts';
import { TOO_MANY, timedOut } from './admission.ts';
import type { Scorer, ScoreResult } from './scorer.ts';


import { HARNESS } from '../util/python-harness.ts';

export interface PoolOptions {
  workers: number;
  python: string;
  appRoot: string;
  entryScript: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  maxQueued: number;
  timeoutMs: number;
  liveness: ProbeSettings;
  readiness: ProbeSettings;
}

interface Job {
  body: string;
  resolve: (r: ScoreResult) => void;
  retried: boolean;
  /** While it waits in the queue: request_timeout_ms covers the wait too. */
  queueTimer?: NodeJS.Timeout;
}


export class InitError extends Error {}


class Worker {
  proc: ChildProcess;
  busy?: { job: Job; timer: NodeJS.Timeout };
  private buffer = Buffer.alloc(0);
  readonly ready: Promise<void>;
  readonly startedAt = Date.now();
  /** Set once init() has finished. */
  probe?: ProbeState;
  /** The probe awaiting its pong, if any. */
  ping?: { id: number; sentAt: number; timeoutMs: number };
  /** A probe timed out and its pong has not come back: no requests until it does. */
  unresponsive = false;
  private nextId = 0;

  constructor(private pool: WorkerPool, private opts: PoolOptions) {
    const log = fs.openSync(opts.logFile, 'a');
    this.proc = spawn(opts.python, ['-u', '-m', 'stratus_scoring.worker'], {
      cwd: opts.appRoot,
      env: { ...opts.env, PYTHONPATH: [HARNESS, opts.env.PYTHONPATH].filter(Boolean).join(path.delimiter), AML_APP_ROOT: opts.appRoot, AZUREML_ENTRY_SCRIPT: opts.entryScript },
      stdio: ['pipe', log, log, 'pipe'],
    });
    fs.closeSync(log);
    this.ready = new Promise((resolve, reject) => {
      this.onReady = (ok, error) => (ok ? resolve() : reject(new InitError(error ?? 'init() failed')));
    });
    this.ready.catch(() => undefined);
    (this.proc.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => this.onData(chunk));
    this.proc.on('exit', (code, signal) => {
      // A worker that dies before announcing itself failed its init() (or was killed by liveness).
      this.onReady(false, this.initTimeout ?? `The scoring worker exited during init() (${signal ?? `exit code ${code}`}).`);
      this.pool.workerExited(this);
    });
    this.proc.on('error', () => undefined);
    this.proc.stdin!.on('error', () => undefined);
  }

  private onReady: (ok: boolean, error?: string) => void = () => undefined;
  swagger?: unknown;
  /** Why liveness gave up on init(), when it did. */
  initTimeout?: string;

  /** Whether a request may be sent to this worker now. */
  available(): boolean {
    return !!this.probe?.ready && !this.busy && !this.ping && !this.unresponsive;
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const len = this.buffer.readUInt32BE(0);
      if (this.buffer.length < 4 + len) return;
      const frame = JSON.parse(this.buffer.subarray(4, 4 + len).toString('utf8'));
      this.buffer = this.buffer.subarray(4 + len);
      if ('ready' in frame) {
        this.swagger = frame.swagger ?? undefined;
        if (frame.ready) this.probe = new ProbeState(this.opts.liveness, this.opts.readiness, Date.now());
        this.onReady(frame.ready, frame.error);
      } else if ('pong' in frame) {
        const answered = this.ping?.id === frame.id;
        if (answered) this.ping = undefined;
        else this.unresponsive = false; // a late pong: the worker has caught up
        this.pool.probeAnswered(this, answered);
      } else this.finish(frame.ok ? { status: 200, body: frame.result } : { status: frame.status ?? 500, body: JSON.stringify({ error: frame.error }) });
    }
  }

  send(job: Job, timeoutMs: number): void {
    const timer = setTimeout(() => {
      // The request took too long: answer 504 and replace the worker, which may be stuck.
      this.finish(timedOut(timeoutMs));
      this.proc.kill('SIGKILL');
    }, timeoutMs);
    this.busy = { job, timer };
    this.write({ id: this.nextId++, body: job.body });
  }

  sendPing(timeoutMs: number): void {
    this.ping = { id: this.nextId++, sentAt: Date.now(), timeoutMs };
    this.write({ id: this.ping.id, ping: true });
  }

  private write(frame: object): void {
    const payload = Buffer.from(JSON.stringify(frame));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(payload.length);
    this.proc.stdin!.write(Buffer.concat([header, payload]));
  }

  private finish(result: ScoreResult): void {
    const busy = this.busy;
    if (!busy) return;
    clearTimeout(busy.timer);
    this.busy = undefined;
    busy.job.resolve(result);
    this.pool.workerIdle(this);
  }

  /** The in-flight request, if the process died under it. */
  takeOrphan(): Job | undefined {
    const busy = this.busy;
    if (!busy) return undefined;
    clearTimeout(busy.timer);
    this.busy = undefined;
    return busy.job;
  }
}

export class WorkerPool implements Scorer {
  readonly runtime = 'python' as const;
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: Job[] = [];
  private stopping = false;
  private probeTimer?: NodeJS.Timeout;
  restarts = 0;

  constructor(readonly opts: PoolOptions) {}

  /** Starts every worker; rejects with the Python traceback if init() fails. */
  async start(): Promise<void> {
    fs.mkdirSync(path.dirname(this.opts.logFile), { recursive: true });
    const started = Array.from({ length: this.opts.workers }, () => this.spawn());
    this.probeTimer = setInterval(() => this.runProbes(), 200);
    this.probeTimer.unref();
    try {
      await Promise.all(started.map((w) => w.ready));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private spawn(): Worker {
    const w = new Worker(this, this.opts);
    this.workers.push(w);
    w.ready.then(() => this.workerIdle(w), () => undefined);
    return w;
  }

  score(body: string): Promise<ScoreResult> {
    return new Promise((resolve) => {
      const job: Job = { body, resolve, retried: false };
      const worker = this.idle.pop();
      if (worker) return worker.send(job, this.opts.timeoutMs);
      if (this.queue.length >= this.opts.maxQueued) {
        return resolve(TOO_MANY);
      }
      this.enqueue(job);
    });
  }

  private enqueue(job: Job, first = false): void {
    job.queueTimer = setTimeout(() => {
      this.queue = this.queue.filter((j) => j !== job);
      job.resolve(timedOut(this.opts.timeoutMs));
    }, this.opts.timeoutMs);
    if (first) this.queue.unshift(job);
    else this.queue.push(job);
  }

  private dequeue(): Job | undefined {
    const job = this.queue.shift();
    if (job) clearTimeout(job.queueTimer);
    return job;
  }

  workerIdle(w: Worker): void {
    if (this.stopping || !this.workers.includes(w) || !w.available() || this.idle.includes(w)) return;
    const next = this.dequeue();
    if (next) w.send(next, this.opts.timeoutMs);
    else this.idle.push(w);
  }

  workerExited(w: Worker): void {
    this.workers = this.workers.filter((x) => x !== w);
    this.idle = this.idle.filter((x) => x !== w);
    const orphan = w.takeOrphan();
    if (this.stopping) {
      orphan?.resolve({ status: 503, body: JSON.stringify({ error: 'The deployment is shutting down.' }) });
      return;
    }
    if (!w.probe) {
      // It never finished init(): starting another would fail the same way, in a loop.
      this.log(`worker ${w.proc.pid} exited before init() finished; not restarted`);
      return;
    }
    this.restarts++;
    this.spawn();
    if (orphan) {
      if (orphan.retried) orphan.resolve({ status: 502, body: JSON.stringify({ error: 'The scoring worker crashed while handling this request.' }) });
      else {
        // Retried first, by the replacement or any other worker that frees up.
        orphan.retried = true;
        this.enqueue(orphan, true);
      }
    }
  }

  /** Sends the probes that are due to idle workers; busy ones are covered by request_timeout_ms. */
  private runProbes(): void {
    const now = Date.now();
    for (const w of this.workers) {
      if (!w.probe) {
        const limit = initDeadlineSeconds(this.opts.liveness);
        if (!w.initTimeout && now - w.startedAt > limit * 1000) {
          w.initTimeout = `init() did not finish within ${limit} s (liveness_probe: initial_delay + failure_threshold × period); the worker was stopped.`;
          this.log(w.initTimeout);
          w.proc.kill('SIGKILL');
        }
      } else if (w.ping) {
        if (now - w.ping.sentAt > w.ping.timeoutMs) {
          w.ping = undefined;
          w.unresponsive = true;
          this.probeAnswered(w, false);
        }
      } else if (!w.busy && w.probe.due(now)) {
        this.idle = this.idle.filter((x) => x !== w);
        w.sendPing(w.probe.timeoutMs(now));
      }
    }
  }

  probeAnswered(w: Worker, ok: boolean): void {
    const { replace, readinessChanged } = w.probe!.record(ok, Date.now());
    if (replace) {
      this.log(`worker ${w.proc.pid} failed liveness_probe ${this.opts.liveness.failure_threshold} times in a row; replacing it`);
      w.proc.kill('SIGKILL');
      return;
    }
    if (readinessChanged) this.log(`worker ${w.proc.pid} ${w.probe!.ready ? 'passed readiness_probe; back in rotation' : 'failed readiness_probe; out of rotation'}`);
    this.workerIdle(w);
  }

  private log(line: string): void {
    fs.appendFileSync(this.opts.logFile, `[stratus] ${new Date().toISOString()} ${line}\n`);
  }

  /** Lets queued and in-flight requests finish, then stops: the old side of a rolling update. */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.queue.length || this.workers.some((w) => w.busy)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.stop();
  }

  /** The OpenAPI document the scoring script's schema decorators describe, if any. */
  swagger(): unknown {
    return this.workers.find((w) => w.swagger)?.swagger;
  }

  pids(): number[] {
    return this.workers.map((w) => w.proc.pid!).filter(Boolean);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.probeTimer);
    for (let job = this.dequeue(); job; job = this.dequeue()) job.resolve({ status: 503, body: JSON.stringify({ error: 'The deployment is shutting down.' }) });
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      if (w.proc.exitCode !== null) return resolve();
      w.proc.once('exit', () => resolve());
      w.proc.kill('SIGTERM');
      setTimeout(() => w.proc.kill('SIGKILL'), 3000).unref();
    })));
  }
}
