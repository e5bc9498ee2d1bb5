/**
 * The pure parts of sweeps and schedules (samplers, early termination, cron and recurrence
 * slots in time zones), then a real schedule firing during the test and surviving a restart.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Sampler, sampleOne, rng } from '../src/sweeps/sampling.ts';
import { judge } from '../src/sweeps/early-termination.ts';
import { nextSlot, readTrigger, wallTimeToUtc } from '../src/util/triggers.ts';
import type { SweepSettings } from '../src/sweeps/types.ts';
import { runCli, startServer, tempDir } from './helpers.ts';
import { StratusClient } from '../src/client/index.ts';

const FIX = path.resolve(import.meta.dirname, 'fixtures/pipeline');

const settings = (over: Partial<SweepSettings>): SweepSettings => ({
  search_space: { x: { type: 'uniform', min_value: 0, max_value: 1 } },
  sampling_algorithm: { type: 'random', seed: 7 },
  objective: { goal: 'maximize', primary_metric: 'acc' },
  limits: { max_total_trials: 10, max_concurrent_trials: 2 },
  ...over,
});

describe('sweep sampling and early termination', () => {
  test('random sampling with a seed is reproducible, and every distribution stays in its range', () => {
    const a = new Sampler(settings({}));
    const b = new Sampler(settings({}));
    assert.deepEqual([0, 1, 2].map((i) => a.next(i, [])), [0, 1, 2].map((i) => b.next(i, [])));
    const random = rng(1);
    for (let i = 0; i < 500; i++) {
      const lu = Number(sampleOne({ type: 'loguniform', min_value: Math.log(1e-4), max_value: Math.log(1e-1) }, random));
      assert.ok(lu >= 1e-4 * 0.999 && lu <= 1e-1 * 1.001, `loguniform ${lu}`);
      const q = Number(sampleOne({ type: 'quniform', min_value: 0, max_value: 100, q: 5 }, random));
      assert.equal(q % 5, 0);
      const r = Number(sampleOne({ type: 'randint', upper: 4 }, random));
      assert.ok(Number.isInteger(r) && r >= 0 && r < 4);
      assert.ok(Number(sampleOne({ type: 'lognormal', mu: 0, sigma: 1 }, random)) > 0);
      assert.ok(['a', 'b'].includes(String(sampleOne({ type: 'choice', values: ['a', 'b'] }, random))));
    }
  });

  test('grid sampling walks every combination once, then stops', () => {
    const s = new Sampler(settings({
      sampling_algorithm: { type: 'grid' },
      search_space: { lr: { type: 'choice', values: [0.1, 0.01] }, depth: { type: 'choice', values: [2, 4, 8] } },
    }));
    const seen = Array.from({ length: 6 }, (_, i) => s.next(i, []));
    assert.equal(new Set(seen.map((p) => JSON.stringify(p))).size, 6);
    assert.equal(s.next(6, []), undefined);
  });

  test('bayesian sampling moves towards the better region once it has observations', () => {
    const s = new Sampler(settings({ sampling_algorithm: { type: 'bayesian', seed: 3 } }));
    // The objective peaks at x = 0.9.
    const observations = [0.05, 0.3, 0.5, 0.7, 0.85, 0.95].map((x) => ({ params: { x }, value: 1 - Math.abs(x - 0.9) }));
    const proposals = Array.from({ length: 20 }, (_, i) => Number(s.next(10 + i, observations)!.x));
    const mean = proposals.reduce((a, b) => a + b, 0) / proposals.length;
    assert.ok(mean > 0.6, `proposals average ${mean}`);
  });

  test('bandit, median stopping and truncation selection stop the trials that fall behind', () => {
    const trials = [
      { name: 'good', running: true, values: [1, 2, 3, 4] },
      { name: 'fair', running: true, values: [0.9, 1.9, 2.9, 3.8] },
      { name: 'poor', running: true, values: [0.2, 0.4, 0.6, 0.8] },
    ];
    const bandit = judge({ type: 'bandit', evaluation_interval: 1, delay_evaluation: 0, slack_factor: 0.1 }, 'maximize', trials);
    assert.deepEqual(bandit.map((v) => v.name), ['poor']);
    const delayed = judge({ type: 'bandit', evaluation_interval: 1, delay_evaluation: 5, slack_factor: 0.1 }, 'maximize', trials);
    assert.deepEqual(delayed, [], 'no verdict before delay_evaluation');
    const median = judge({ type: 'median_stopping', evaluation_interval: 1, delay_evaluation: 0 }, 'maximize', trials);
    assert.deepEqual(median.map((v) => v.name), ['poor']);
    const truncation = judge({ type: 'truncation_selection', evaluation_interval: 1, delay_evaluation: 0, truncation_percentage: 34 }, 'maximize', trials);
    assert.deepEqual(truncation.map((v) => v.name), ['poor']);
    const minimize = judge({ type: 'bandit', evaluation_interval: 2, delay_evaluation: 0, slack_amount: 0.5 }, 'minimize', trials);
    assert.deepEqual(minimize.map((v) => v.name).sort(), ['fair', 'good']);
  });
});

describe('schedule triggers', () => {
  const at = (iso: string) => Date.parse(iso);

  test('cron slots are computed in the trigger\'s time zone', () => {
    const nightly = readTrigger({ type: 'cron', expression: '0 2 * * *', time_zone: 'Pacific Standard Time' });
    // 02:00 in Los Angeles in winter is 10:00 UTC.
    assert.equal(new Date(nextSlot(nightly, at('2026-11-29T05:00:00Z'), 0)!).toISOString(), '2026-11-29T10:00:00.000Z');
    assert.equal(new Date(nextSlot(nightly, at('2026-11-29T10:00:00Z'), 0)!).toISOString(), '2026-11-30T10:00:00.000Z');
    const office = readTrigger({ type: 'cron', expression: '*/15 9-17 * * mon-fri', time_zone: 'Europe/Berlin' });
    // Saturday 2026-11-28 → Monday 09:00 Berlin (08:00 UTC).
    assert.equal(new Date(nextSlot(office, at('2026-11-28T12:00:00Z'), 0)!).toISOString(), '2026-11-30T08:00:00.000Z');
    assert.equal(new Date(nextSlot(office, at('2026-11-30T08:00:00Z'), 0)!).toISOString(), '2026-11-30T08:15:00.000Z');
    const ended = readTrigger({ type: 'cron', expression: '0 * * * *', end_time: '2026-11-29T06:30:00Z', time_zone: 'UTC' });
    assert.equal(nextSlot(ended, at('2026-11-29T06:00:00Z'), 0), undefined);
  });

  test('recurrence triggers: minutes from start_time, days at set hours, week days', () => {
    const every5 = readTrigger({ type: 'recurrence', frequency: 'minute', interval: 5, start_time: '2026-11-29T10:02:00', time_zone: 'UTC' });
    assert.equal(new Date(nextSlot(every5, at('2026-11-29T10:03:00Z'), 0)!).toISOString(), '2026-11-29T10:07:00.000Z');
    const daily = readTrigger({ type: 'recurrence', frequency: 'day', interval: 2, schedule: { hours: [6, 18], minutes: [30] }, start_time: '2026-11-29T00:00:00', time_zone: 'Asia/Kolkata' });
    // 06:30 in Kolkata is 01:00 UTC; every other day from the 29th.
    assert.equal(new Date(nextSlot(daily, at('2026-11-29T02:00:00Z'), 0)!).toISOString(), '2026-11-29T13:00:00.000Z');
    assert.equal(new Date(nextSlot(daily, at('2026-11-29T13:00:00Z'), 0)!).toISOString(), '2026-12-01T01:00:00.000Z');
    const weekly = readTrigger({ type: 'recurrence', frequency: 'week', interval: 1, schedule: { hours: [9], minutes: [0], week_days: ['wednesday'] }, start_time: '2026-11-29T00:00:00', time_zone: 'UTC' });
    assert.equal(new Date(nextSlot(weekly, at('2026-11-29T00:00:00Z'), 0)!).toISOString(), '2026-12-02T09:00:00.000Z');
    assert.equal(wallTimeToUtc('2026-07-01T12:00:00', 'Europe/London'), at('2026-07-01T11:00:00Z'));
  });

  test('bad triggers are refused with what to write instead', () => {
    assert.throws(() => readTrigger({ type: 'cron', expression: '0 2 * *' }), /needs five fields/);
    assert.throws(() => readTrigger({ type: 'cron', expression: '61 * * * *' }), /'61' is outside 0-59/);
    assert.throws(() => readTrigger({ type: 'cron', expression: '0 2 * * *', time_zone: 'Mars/Olympus' }), /Unknown time_zone 'Mars\/Olympus'/);
    assert.throws(() => readTrigger({ type: 'recurrence', frequency: 'fortnight' }), /frequency minute, hour, day, week or month/);
    assert.throws(() => readTrigger({ type: 'hourly' }), /type cron or recurrence/);
  });
});

describe('schedules against a real server', () => {
  test('a schedule fires during the test, and a restart neither fires a slot twice nor loses one silently', async () => {
    const dataDir = tempDir();
    let server = await startServer({ dataDir });
    const dir = tempDir('stratus-schedule-');
    const start = new Date(Date.now() + 2000).toISOString();
    const yaml = (name: string, startTime: string) => `$schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
name: ${name}
display_name: ${name}
trigger:
  type: recurrence
  frequency: minute
  interval: 1
  start_time: "${startTime}"
  time_zone: UTC
create_job: ${path.join(FIX, 'pipeline.yml')}
`;
    fs.writeFileSync(path.join(dir, 'soon.yml'), yaml('soon', start));
    fs.writeFileSync(path.join(dir, 'past.yml'), yaml('past', new Date(Date.now() - 10 * 60_000).toISOString()));
    const cli = (args: string[]) => runCli(args, { url: server.url, cwd: dir });
    try {
      const created = await cli(['schedule', 'create', '--file', 'soon.yml', '--output', 'json']);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(JSON.parse(created.stdout).next_run_time, start, 'the first slot is start_time');
      assert.equal((await cli(['schedule', 'create', '--file', 'past.yml'])).code, 0);
      let client = new StratusClient({ baseUrl: server.url });
      let fired: any;
      for (let i = 0; i < 100 && !fired?.fires?.[0]?.job_name; i++) {
        await new Promise((r) => setTimeout(r, 200));
        fired = await client.schedules.show('soon');
      }
      assert.equal(fired.fires.length, 1);
      assert.equal(fired.fires[0].outcome, 'submitted');
      const job = await client.jobs.get(fired.fires[0].job_name);
      assert.equal(job.type, 'pipeline');
      assert.equal(job.tags['azureml.schedule'], 'soon');
      const slot = Date.parse(fired.fires![0].slot);
      const upcoming = Date.parse((await client.schedules.show('past')).next_run_time!);

      // Down for a while: the store is rewound as if 'soon' had not yet moved past its fired slot,
      // and as if 'past' last moved on three slots ago.
      await server.close();
      const db = new Database(path.join(dataDir, 'stratus.db'));
      db.prepare('UPDATE schedules SET next_fire_at = ? WHERE name = ?').run(slot, 'soon');
      db.prepare('UPDATE schedules SET next_fire_at = ? WHERE name = ?').run(upcoming - 3 * 60_000, 'past');
      db.close();
      server = await startServer({ dataDir });
      client = new StratusClient({ baseUrl: server.url });

      const soon = await client.schedules.show('soon');
      assert.equal(soon.fires?.length, 1, 'the fired slot was not fired again');
      assert.equal(Date.parse(soon.next_run_time!), slot + 60_000);
      const past = await client.schedules.show('past');
      const outcomes = (past.fires ?? []).filter((f: any) => Date.parse(f.slot) < upcoming).map((f: any) => f.outcome);
      assert.deepEqual(outcomes, ['submitted late', 'missed: the server was not running', 'missed: the server was not running']);
      const scheduled = (await client.jobs.list()).value.filter((j) => j.tags?.['azureml.schedule'] === 'soon');
      assert.equal(scheduled.length, 1);

      const disabled = await cli(['schedule', 'disable', '--name', 'past', '--output', 'json']);
      assert.equal(JSON.parse(disabled.stdout).is_enabled, false);
      const listed = await cli(['schedule', 'list']);
      assert.match(listed.stdout, /soon\s+yes\s+every 1 minute/);
      assert.equal((await cli(['schedule', 'delete', '--name', 'past'])).code, 0);
      assert.equal((await cli(['schedule', 'show', '--name', 'past'])).code, 4);
    } finally {
      await server.close();
    }
  });
});
