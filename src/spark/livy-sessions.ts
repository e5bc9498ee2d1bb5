/**
 * Apache Livy's interactive sessions (`/livy/sessions`, HDInsight's notebook and sparkmagic
 * interface): each session is one long-lived PySpark driver (python/stratus_spark/livy_repl.py)
 * on this host, against a Spark cluster's master (or in local mode), running statements one at a
 * time in submission order. `pyspark` statements run Python with `spark` and `sc` defined;
 * `spark` statements run Scala in the same driver (Scala's interpreter in its JVM); `sql`
 * statements run Spark SQL and return Livy's `application/json` table.
 *
 * Sessions live as long as the server does, as in Livy without recovery: closing the workspace
 * ends them, and a restarted server ends any driver a previous one left (their processes carry a
 * marker that no compute owns). A session nobody uses for its `ttl` (default an hour), or whose
 * client stops calling for `heartbeatTimeoutInSecond`, is ended.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { EnvironmentBuilder } from '../environments/builder.ts';
import { CURATED } from '../environments/curated.ts';
import type { ManagedComputes } from '../compute/managed.ts';
import { MARKER_VAR, stopMarked } from '../compute/marked-processes.ts';
import { sparkDriverEnv } from '../compute/spark-provider.ts';
import { HARNESS } from '../util/python-harness.ts';
import { livySparkConf, takeCompute, type LivySessionRequestT, type LivyStatementRequestT } from '../specs/livy.ts';
import { childEnv } from '../util/child-env.ts';
import { shellQuote } from '../util/shell.ts';
import { invalid, notFound, StratusError } from '../util/errors.ts';
import { sharePath } from './share-paths.ts';

type SessionState = 'not_started' | 'starting' | 'idle' | 'busy' | 'shutting_down' | 'error' | 'dead' | 'killed';
type StatementState = 'waiting' | 'running' | 'available' | 'error' | 'cancelling' | 'cancelled';

export interface LivyStatement {
  id: number;
  code: string;
  state: StatementState;
  output: Record<string, unknown> | null;
  progress: number;
  started: number;
  completed: number;
}

interface Session {
  id: number;
  name: string | null;
  kind: string;
  proxyUser: string | null;
  state: SessionState;
  appId: string | null;
  sparkUiUrl: string | null;
  dir: string;
  marker: string;
  child?: ChildProcessWithoutNullStreams;
  statements: LivyStatement[];
  kinds: Map<number, string>;
  /** Last statement submitted or finished (the ttl counts from it). */
  lastUsed: number;
  /** Last request about this session (the heartbeat). */
  lastContact: number;
  ttlMs: number;
  heartbeatMs: number;
}

export interface LivySessionLimits {
  /** Sessions alive at once (Livy's livy.server.session.max-creation keeps a similar bound). */
  maxSessions: number;
  /** Idle time before a session is ended, unless the request gives a `ttl`. */
  defaultTtlMs: number;
  /** Statements kept per session; older ones are forgotten. */
  maxStatements: number;
}

const DEFAULT_LIMITS: LivySessionLimits = {
  maxSessions: Number(process.env.STRATUS_LIVY_MAX_SESSIONS ?? 4),
  defaultTtlMs: Number(process.env.STRATUS_LIVY_SESSION_TTL_MINUTES ?? 60) * 60_000,
  maxStatements: 1000,
};

const ENDED: SessionState[] = ['error', 'dead', 'killed'];
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export class LivySessions {
  private sessions = new Map<number, Session>();
  private nextId = 0;
  private timer: NodeJS.Timeout;

  constructor(
    private builder: EnvironmentBuilder,
    private managed: ManagedComputes,
    private shareRoot: string,
    private dir: string,
    private limits: LivySessionLimits = DEFAULT_LIMITS,
  ) {
    this.timer = setInterval(() => this.endForgotten(), 10_000);
    this.timer.unref();
  }

  async create(req: LivySessionRequestT): Promise<Record<string, unknown>> {
    const kind = req.kind ?? 'shared';
    if (kind === 'sparkr') throw unsupportedKind(kind);
    const live = [...this.sessions.values()].filter((s) => !ENDED.includes(s.state)).length;
    if (live >= this.limits.maxSessions) {
      throw new StratusError('RESOURCE_EXHAUSTED', `${live} Livy sessions are running, the most this workspace allows (STRATUS_LIVY_MAX_SESSIONS). Delete one first: DELETE /livy/sessions/<id>.`);
    }
    const id = this.nextId++;
    const dir = path.join(this.dir, String(id));
    const plan = await this.plan(req, dir);
    fs.mkdirSync(path.join(dir, 'repl-classes'), { recursive: true });
    const s: Session = {
      id, name: req.name ?? null, kind, proxyUser: req.proxyUser ?? null, state: 'starting', appId: null, sparkUiUrl: null, dir,
      marker: this.managed.looseMarker(`livy-session/${process.pid}-${id}`), statements: [], kinds: new Map(),
      lastUsed: Date.now(), lastContact: Date.now(), ttlMs: req.ttl ? ttlMs(req.ttl) : this.limits.defaultTtlMs, heartbeatMs: (req.heartbeatTimeoutInSecond ?? 0) * 1000,
    };
    this.sessions.set(id, s);
    this.boot(s, plan, req).catch((err: Error) => this.fail(s, `The session could not start: ${err.message}`));
    return this.view(s);
  }

  list(from: number, size: number): { from: number; total: number; sessions: Record<string, unknown>[] } {
    const all = [...this.sessions.values()];
    return { from, total: all.length, sessions: all.slice(from, from + size).map((s) => this.view(s)) };
  }

  get(id: number): Record<string, unknown> {
    return this.view(this.session(id));
  }

  state(id: number): { id: number; state: string } {
    const s = this.session(id);
    return { id, state: s.state };
  }

  /** The driver's log (Spark's and the session's stderr), `size` lines from `from`. */
  log(id: number, from: number, size: number): { id: number; from: number; total: number; log: string[] } {
    const lines = this.logLines(this.session(id));
    return { id, from, total: lines.length, log: lines.slice(from, from + size) };
  }

  async delete(id: number): Promise<{ msg: string }> {
    const s = this.session(id);
    await this.end(s, 'killed');
    this.sessions.delete(id);
    fs.rmSync(s.dir, { recursive: true, force: true });
    return { msg: 'deleted' };
  }

  submit(id: number, req: LivyStatementRequestT): LivyStatement {
    const s = this.session(id);
    if (ENDED.includes(s.state) || s.state === 'shutting_down') throw invalid(`Session ${id} is ${s.state}; create a new one with POST /livy/sessions.`);
    const kind = req.kind ?? (s.kind === 'shared' ? 'pyspark' : s.kind);
    if (kind === 'sparkr') throw unsupportedKind(kind);
    const st: LivyStatement = { id: s.statements.length ? s.statements.at(-1)!.id + 1 : 0, code: req.code, state: 'waiting', output: null, progress: 0, started: 0, completed: 0 };
    s.statements.push(st);
    s.kinds.set(st.id, kind);
    if (s.statements.length > this.limits.maxStatements) s.statements.splice(0, s.statements.length - this.limits.maxStatements);
    s.lastUsed = Date.now();
    this.pump(s);
    return { ...st };
  }

  statements(id: number, from: number, size: number): { total_statements: number; statements: LivyStatement[] } {
    const s = this.session(id);
    return { total_statements: s.statements.length, statements: s.statements.slice(from, from + size).map((st) => ({ ...st })) };
  }

  statement(id: number, statementId: number): LivyStatement {
    return { ...this.findStatement(this.session(id), statementId) };
  }

  /** Cancels a waiting statement at once, a running one by interrupting the driver (PySpark cancels its Spark jobs). */
  cancel(id: number, statementId: number): { msg: string } {
    const s = this.session(id);
    const st = this.findStatement(s, statementId);
    if (st.state === 'waiting') {
      Object.assign(st, { state: 'cancelled', completed: Date.now() });
    } else if (st.state === 'running') {
      st.state = 'cancelling';
      s.child?.kill('SIGINT');
    }
    return { msg: 'canceled' };
  }

  /** Ends every session (the workspace is closing). */
  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.sessions.values()].map((s) => this.end(s, 'dead')));
  }

  private async boot(s: Session, plan: { args: string[]; env: Record<string, string> }, req: LivySessionRequestT): Promise<void> {
    const built = await this.builder.ensure(CURATED['stratus-spark'], () => undefined);
    if (s.state !== 'starting') return;
    const ctx = this.managed.context;
    const logFd = fs.openSync(path.join(s.dir, 'driver.log'), 'a');
    const child = spawn(built.python, ['-u', '-m', 'stratus_spark.livy_repl'], {
      cwd: s.dir,
      stdio: ['pipe', 'pipe', logFd],
      env: childEnv({
        PATH: built.prefix ? `${path.join(built.prefix, 'bin')}:${process.env.PATH ?? ''}` : process.env.PATH,
        PYTHONPATH: HARNESS,
        PYSPARK_PYTHON: built.python,
        PYSPARK_SUBMIT_ARGS: [...plan.args, 'pyspark-shell'].join(' '),
        STRATUS_LIVY_APP_NAME: req.name ?? `livy-session-${s.id}`,
        SPARK_LOCAL_IP: '127.0.0.1',
        ...(ctx ? { MLFLOW_TRACKING_URI: ctx.trackingUri, ...ctx.trackingEnv } : {}),
        [MARKER_VAR]: s.marker,
        ...plan.env,
      }),
    }) as unknown as ChildProcessWithoutNullStreams;
    fs.closeSync(logFd);
    s.child = child;
    child.on('error', (err) => this.fail(s, `The session's driver could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (!ENDED.includes(s.state) && s.state !== 'shutting_down') this.fail(s, `The session's driver ended (${signal ?? `exit code ${code}`}).`);
    });
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.receive(s, line));
  }

  /** One message from the driver: it is ready, or a statement finished. */
  private receive(s: Session, line: string): void {
    let msg: { ready?: boolean; error?: string; appId?: string; uiUrl?: string; id?: number; output?: Record<string, unknown>; cancelled?: boolean };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.ready !== undefined) {
      if (!msg.ready) return this.fail(s, msg.error ?? 'The Spark session did not start.');
      Object.assign(s, { state: 'idle', appId: msg.appId ?? null, sparkUiUrl: msg.uiUrl ?? null });
      return this.pump(s);
    }
    const st = s.statements.find((x) => x.id === msg.id);
    if (st) Object.assign(st, { state: msg.cancelled ? 'cancelled' : 'available', output: msg.output ?? null, progress: 1, completed: Date.now() });
    s.lastUsed = Date.now();
    if (s.state === 'busy') s.state = 'idle';
    this.pump(s);
  }

  /** Sends the next waiting statement when the driver is free. */
  private pump(s: Session): void {
    if (s.state !== 'idle' || !s.child) return;
    const next = s.statements.find((st) => st.state === 'waiting');
    if (!next) return;
    Object.assign(next, { state: 'running', started: Date.now() });
    s.state = 'busy';
    s.child.stdin.write(`${JSON.stringify({ id: next.id, kind: s.kinds.get(next.id), code: next.code })}\n`);
  }

  private fail(s: Session, why: string): void {
    if (ENDED.includes(s.state)) return;
    s.state = 'dead';
    fs.appendFileSync(path.join(s.dir, 'driver.log'), `\n${why}\n`);
    for (const st of s.statements) {
      if (['waiting', 'running', 'cancelling'].includes(st.state)) {
        Object.assign(st, { state: 'error', completed: Date.now(), output: { status: 'error', execution_count: st.id, ename: 'SessionDead', evalue: why, traceback: [] } });
      }
    }
    void stopMarked(s.child?.pid, s.marker, 3000);
  }

  private async end(s: Session, state: SessionState): Promise<void> {
    if (!ENDED.includes(s.state)) s.state = 'shutting_down';
    s.child?.stdin.end();
    await stopMarked(undefined, s.marker, 5000);
    if (s.child?.pid) s.child.kill('SIGKILL');
    s.state = state;
  }

  /** Sessions past their ttl or heartbeat are ended, as Livy's session timeout does. */
  private endForgotten(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      if (ENDED.includes(s.state) || s.state === 'busy') continue;
      const idle = now - s.lastUsed > s.ttlMs;
      const silent = s.heartbeatMs > 0 && now - s.lastContact > s.heartbeatMs;
      if (idle || silent) {
        fs.appendFileSync(path.join(s.dir, 'driver.log'), `\nThe session was ended: ${idle ? 'idle longer than its ttl' : 'no heartbeat from its client'}.\n`);
        void this.end(s, 'dead');
      }
    }
  }

  /** spark-submit's options for the session's driver (PySpark passes PYSPARK_SUBMIT_ARGS on), and the cluster's conf folder. */
  private async plan(req: LivySessionRequestT, dir: string): Promise<{ args: string[]; env: Record<string, string> }> {
    // Scala statements compile classes here; executors fetch them from the driver.
    const conf: Record<string, string> = { 'spark.repl.class.outputDir': path.join(dir, 'repl-classes'), ...livySparkConf(req) };
    const cluster = takeCompute(conf) ?? await this.managed.firstRunning('spark');
    const env = cluster ? await sparkDriverEnv(this.managed, cluster) : undefined;
    const master = env?.STRATUS_SPARK_MASTER ?? `local[${conf['spark.driver.cores'] ?? '*'}]`;
    const lists = (['pyFiles', 'jars', 'files', 'archives'] as const).filter((k) => req[k]?.length)
      .map((k) => `--${k === 'pyFiles' ? 'py-files' : k} ${shellQuote(req[k]!.map((p) => sharePath(this.shareRoot, p, k)).join(','))}`);
    return {
      args: [`--master ${shellQuote(master)}`, ...Object.entries(conf).map(([k, v]) => `--conf ${shellQuote(`${k}=${v}`)}`), ...lists],
      env: env ? { SPARK_CONF_DIR: env.SPARK_CONF_DIR } : {},
    };
  }

  private view(s: Session): Record<string, unknown> {
    return {
      id: s.id, name: s.name, appId: s.appId, owner: null, proxyUser: s.proxyUser, state: s.state, kind: s.kind,
      appInfo: { driverLogUrl: null, sparkUiUrl: s.sparkUiUrl }, log: this.logLines(s).slice(-100),
    };
  }

  private logLines(s: Session): string[] {
    let text = '';
    try {
      text = fs.readFileSync(path.join(s.dir, 'driver.log'), 'utf8');
    } catch { /* not started yet */ }
    return text ? text.replace(/\n$/, '').split('\n') : [];
  }

  private session(id: number): Session {
    const s = this.sessions.get(id);
    if (!s) throw notFound(`Session '${id}' not found.`);
    s.lastContact = Date.now();
    return s;
  }

  private findStatement(s: Session, statementId: number): LivyStatement {
    const st = s.statements.find((x) => x.id === statementId);
    if (!st) throw notFound(`Statement '${statementId}' not found in session ${s.id}.`);
    return st;
  }
}

function unsupportedKind(kind: string): StratusError {
  return invalid(`Statements of kind '${kind}' (R, SparkR) are not available here: the PySpark distribution has no SparkR. Use kind 'pyspark', 'spark' (Scala) or 'sql'.`);
}

function ttlMs(ttl: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(ttl)!;
  return Number(m[1]) * UNIT_MS[m[2] || 'm'];
}
