/**
 * npm run bench:notebooks — a compute instance from start to its first cell's result, and one
 * cell's round trip (`1+1`) through Stratus's Jupyter proxy against the same kernel reached
 * directly on Jupyter's own port, in the same run, with the official @jupyterlab/services client.
 *
 *   node --import tsx bench/notebooks.ts [--rounds 300] [--starts 3]
 *
 * The notebook environment is built before timing starts (the first instance of a machine builds
 * it once). Round trips alternate between the two paths so both see the same machine load.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { KernelManager, ServerConnection, type Kernel } from '@jupyterlab/services';
import WebSocket from 'ws';
import { startStratus } from './servers.ts';
import { writeSection } from './results.ts';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
const ROUNDS = arg('rounds', 300);
const STARTS = arg('starts', 3);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const ms = (x: number) => x.toFixed(2);

async function call(url: string, method: string, body?: unknown): Promise<Record<string, any>> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json() as Record<string, any>;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function waitRunning(url: string, name: string): Promise<void> {
  for (;;) {
    const c = await call(`${url}/api/v1/computes/${name}`, 'GET');
    if (c.state === 'Running') return;
    if (c.state === 'Failed') throw new Error(`instance failed: ${c.state_reason}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function settingsFor(baseUrl: string, token: string) {
  return ServerConnection.makeSettings({
    baseUrl, wsUrl: baseUrl.replace(/^http/, 'ws'), token, appendToken: true, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
}

async function roundTrip(kernel: Kernel.IKernelConnection): Promise<number> {
  const t = performance.now();
  const future = kernel.requestExecute({ code: '1+1' }, true);
  await future.done;
  return performance.now() - t;
}

async function main(): Promise<void> {
  // Share the environment cache the tests fill, so a checkout builds the notebook environment once.
  process.env.STRATUS_ENV_CACHE ??= path.join(import.meta.dirname, '..', '.cache/envs');
  const stratus = await startStratus(undefined);
  const dataDir = stratus.dataDir;
  try {
    const url = stratus.url;
    await call(`${url}/api/v1/computes`, 'POST', { name: 'bench-ci', type: 'computeinstance' });
    await waitRunning(url, 'bench-ci'); // builds the environment once, untimed
    const base = `${url}/compute-instances/bench-ci/jupyter/`;

    const starts: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      await call(`${url}/api/v1/computes/bench-ci/stop`, 'POST', {});
      for (;;) {
        const c = await call(`${url}/api/v1/computes/bench-ci`, 'GET');
        if (c.state === 'Stopped') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const t = performance.now();
      await call(`${url}/api/v1/computes/bench-ci/start`, 'POST', {});
      await waitRunning(url, 'bench-ci');
      const kernels = new KernelManager({ serverSettings: settingsFor(base, '') });
      const k = await kernels.startNew({ name: 'python3' });
      await k.requestExecute({ code: '1+1' }).done;
      starts.push(performance.now() - t);
      await k.shutdown();
      kernels.dispose();
    }

    const db = new Database(path.join(dataDir!, 'stratus.db'), { readonly: true });
    const row = db.prepare('SELECT port, token FROM managed_computes WHERE name = ?').get('bench-ci') as { port: number; token: string };
    db.close();
    const proxied = new KernelManager({ serverSettings: settingsFor(base, '') });
    const direct = new KernelManager({ serverSettings: settingsFor(`http://127.0.0.1:${row.port}/compute-instances/bench-ci/jupyter/`, row.token) });
    const viaProxy = await proxied.startNew({ name: 'python3' });
    const viaDirect = direct.connectTo({ model: viaProxy.model });
    for (let i = 0; i < 20; i++) {
      await roundTrip(viaProxy);
      await roundTrip(viaDirect);
    }
    const times = { proxy: [] as number[], direct: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      times.proxy.push(await roundTrip(viaProxy));
      times.direct.push(await roundTrip(viaDirect));
    }
    await viaProxy.shutdown();
    proxied.dispose();
    direct.dispose();
    await call(`${url}/api/v1/computes/bench-ci`, 'DELETE');

    const added = pct(times.proxy, 0.5) - pct(times.direct, 0.5);
    const body = [
      'Command: `npm run bench:notebooks` (`node --import tsx bench/notebooks.ts --rounds ' + ROUNDS + ' --starts ' + STARTS + '`), ' + new Date().toISOString().slice(0, 10) + ', this machine (2 cores).',
      '',
      `Instance start to first cell result (environment already built; start → Running → python3 kernel → \`1+1\` answered), ${STARTS} starts: median ${(pct(starts, 0.5) / 1000).toFixed(2)} s, max ${(Math.max(...starts) / 1000).toFixed(2)} s.`,
      '',
      `One cell's round trip (\`1+1\`, execute_request to execute_reply, @jupyterlab/services over the kernel WebSocket), ${ROUNDS} rounds each, alternating, same kernel:`,
      '',
      '| path | median ms | p90 ms | p99 ms |',
      '|---|---|---|---|',
      `| through Stratus (\`/compute-instances/<name>/jupyter/\`, workspace auth, token swap) | ${ms(pct(times.proxy, 0.5))} | ${ms(pct(times.proxy, 0.9))} | ${ms(pct(times.proxy, 0.99))} |`,
      `| direct to Jupyter's own port | ${ms(pct(times.direct, 0.5))} | ${ms(pct(times.direct, 0.9))} | ${ms(pct(times.direct, 0.99))} |`,
      '',
      `The proxy adds ${ms(added)} ms at the median (target: under 1 ms). After the WebSocket handshake the proxy splices the two sockets, so frames pass without being parsed.`,
      'The round trip itself is the same on both paths, so it is set by Jupyter Server and the kernel, not by the proxy.',
    ].join('\n');
    writeSection('## Notebooks: compute instance start, and a cell through the proxy vs direct', body);
    console.log(body);
  } finally {
    await stratus.stop();
  }
}

await main();
