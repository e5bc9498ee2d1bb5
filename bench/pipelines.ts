/**
 * npm run bench:pipelines — a 10-step pipeline (each step a Python script reading the previous
 * step's output folder) submitted cold, then again unchanged (every step reused), against the
 * same ten commands run one after another in a shell: the pipeline engine's overhead.
 *
 *   node --import tsx bench/pipelines.ts [--runs 3]
 *
 * "Engine" times run from the REST submission to the pipeline's Completed status (polled every
 * 10 ms); "CLI" times are the wall time of `stratus job create --file pipeline.yml --stream`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StratusClient } from '../src/client/index.ts';
import { startStratus } from './servers.ts';
import { writeSection } from './results.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const STEPS = 10;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function writeProject(dir: string): void {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'data', 'n.txt'), '0\n');
  fs.writeFileSync(path.join(dir, 'src', 'step.py'), [
    'import sys, os',
    'src, dst = sys.argv[1], sys.argv[2]',
    'n = int(open(os.path.join(src, "n.txt")).read())',
    'open(os.path.join(dst, "n.txt"), "w").write(str(n + 1))',
    '',
  ].join('\n'));
  const steps = Array.from({ length: STEPS }, (_, i) => [
    `  step${i}:`,
    '    type: command',
    '    code: ./src',
    '    command: python3 step.py ${{inputs.data}} ${{outputs.out}}',
    '    inputs:',
    `      data: ${i === 0 ? '${{parent.inputs.data}}' : `\${{parent.jobs.step${i - 1}.outputs.out}}`}`,
    '    outputs:',
    '      out:',
    '        type: uri_folder',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'pipeline.yml'), [
    'type: pipeline', 'experiment_name: bench-pipelines', 'inputs:', '  data:', '    type: uri_folder', '    path: ./data', 'jobs:', ...steps, '',
  ].join('\n'));
}

/** The same ten commands, one after another, as a user would run them by hand. */
function direct(dir: string): number {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-direct-'));
  const script = Array.from({ length: STEPS }, (_, i) => {
    const src = i === 0 ? path.join(dir, 'data') : path.join(work, `out${i - 1}`);
    return `mkdir -p ${work}/out${i} && python3 ${dir}/src/step.py ${src} ${work}/out${i}`;
  }).join(' && ');
  const t = performance.now();
  execFileSync('bash', ['-c', script]);
  return performance.now() - t;
}

async function engine(client: StratusClient, spec: Record<string, unknown>): Promise<{ ms: number; reused: number }> {
  const t = performance.now();
  const { name } = await client.jobs.create(spec);
  for (;;) {
    const j = await client.jobs.get(name);
    if (['Completed', 'Failed', 'Canceled'].includes(j.status)) {
      if (j.status !== 'Completed') throw new Error(`pipeline ${name} ${j.status}: ${j.error?.message}`);
      return { ms: performance.now() - t, reused: Object.values(j.jobs ?? {}).filter((s) => s.reused).length };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pipelines-'));
  writeProject(dir);
  const stratus = await startStratus(undefined);
  try {
    const client = new StratusClient({ baseUrl: stratus.url });
    const cli = (args: string[]) => {
      const t = performance.now();
      execFileSync(process.execPath, [path.join(REPO, 'bin/stratus.js'), ...args], { cwd: dir, env: { ...process.env, STRATUS_URL: stratus.url }, stdio: 'pipe' });
      return performance.now() - t;
    };
    // The spec as the CLI sends it (validate uploads the code and data and returns nothing to run).
    cli(['job', 'validate', '--file', 'pipeline.yml']);
    const { parsePipelineJob } = await import('../src/specs/pipeline-yaml.ts');
    const { YamlSource } = await import('../src/specs/yaml-source.ts');
    const { runUploads } = await import('../src/cli/pending-uploads.ts');
    const parsed = parsePipelineJob(YamlSource.read(path.join(dir, 'pipeline.yml')), { defaultExperiment: 'bench' });
    await runUploads(client, parsed.uploads);
    const spec = parsed.spec as unknown as Record<string, unknown>;

    const cold: number[] = [];
    const warm: number[] = [];
    const directs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const first = await engine(client, { ...spec, settings: { ...(spec.settings as object), force_rerun: true } });
      if (first.reused !== 0) throw new Error('force_rerun reused a step');
      cold.push(first.ms);
      const again = await engine(client, spec);
      if (again.reused !== STEPS) throw new Error(`only ${again.reused} of ${STEPS} steps were reused`);
      warm.push(again.ms);
      directs.push(direct(dir));
    }
    const cliWarm = median(Array.from({ length: RUNS }, () => cli(['job', 'create', '--file', 'pipeline.yml', '--stream'])));
    const [c, w, d] = [median(cold), median(warm), median(directs)];
    const lines = [
      `Command: \`npm run bench:pipelines\` (run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on this project's 2-core machine).`,
      '',
      `A ${STEPS}-step chain (each step a Python script reading the previous step's output folder), median of ${RUNS} runs each:`,
      '',
      '| run | time | per step |',
      '|---|---:|---:|',
      `| the ten commands run directly in one shell | ${d.toFixed(0)} ms | ${(d / STEPS).toFixed(0)} ms |`,
      `| pipeline, every step run (settings.force_rerun) | ${c.toFixed(0)} ms | ${(c / STEPS).toFixed(0)} ms |`,
      `| pipeline again, unchanged: every step reused | ${w.toFixed(0)} ms | ${(w / STEPS).toFixed(1)} ms |`,
      `| the same, as \`stratus job create --file pipeline.yml --stream\` (CLI start, upload check, follow) | ${cliWarm.toFixed(0)} ms | |`,
      '',
      `Engine overhead over running the commands directly: ${((c - d) / STEPS).toFixed(0)} ms per step (job record, MLflow child run,`,
      'working folder, input/output staging, scheduling). The unchanged rerun completes in '
        + `${(w / 1000).toFixed(2)} s (target: under 1 s).`,
    ].join('\n');
    console.log(lines);
    writeSection('## Pipelines: cold, reused, and against the commands run directly', lines);
  } finally {
    await stratus.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
