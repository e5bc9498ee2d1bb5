/**
 * Schedule triggers, as Azure ML writes them: `cron` (five fields: minute hour day-of-month month
 * day-of-week, in `time_zone`) and `recurrence` (frequency minute|hour|day|week|month, interval,
 * and for day/week/month a schedule of hours, minutes, week_days and month_days). Time zones are
 * IANA names or the Windows names Azure ML samples use. Slots are whole minutes.
 */
import { invalid } from './errors.ts';

export interface CronTrigger { type: 'cron'; expression: string; start_time?: string; end_time?: string; time_zone: string }
export interface RecurrenceTrigger {
  type: 'recurrence';
  frequency: 'minute' | 'hour' | 'day' | 'week' | 'month';
  interval: number;
  schedule?: { hours?: number[]; minutes?: number[]; week_days?: string[]; month_days?: number[] };
  start_time?: string;
  end_time?: string;
  time_zone: string;
}
export type Trigger = CronTrigger | RecurrenceTrigger;

const WINDOWS_ZONES: Record<string, string> = {
  'utc': 'UTC', 'coordinated universal time': 'UTC', 'gmt standard time': 'Europe/London', 'greenwich standard time': 'Atlantic/Reykjavik',
  'pacific standard time': 'America/Los_Angeles', 'mountain standard time': 'America/Denver', 'central standard time': 'America/Chicago',
  'eastern standard time': 'America/New_York', 'w. europe standard time': 'Europe/Berlin', 'central europe standard time': 'Europe/Budapest',
  'central european standard time': 'Europe/Warsaw', 'romance standard time': 'Europe/Paris', 'e. europe standard time': 'Europe/Chisinau',
  'india standard time': 'Asia/Kolkata', 'china standard time': 'Asia/Shanghai', 'tokyo standard time': 'Asia/Tokyo',
  'singapore standard time': 'Asia/Singapore', 'aus eastern standard time': 'Australia/Sydney', 'korea standard time': 'Asia/Seoul',
};

/** An IANA zone for a trigger's time_zone (IANA or Windows name); a clear error for neither. */
export function ianaZone(name: string | undefined): string {
  const zone = WINDOWS_ZONES[(name ?? 'UTC').toLowerCase()] ?? name ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw invalid(`Unknown time_zone '${name}': use an IANA name such as Europe/Berlin or a Windows name such as "Pacific Standard Time".`);
  }
  return zone;
}

interface LocalParts { year: number; month: number; day: number; hour: number; minute: number; weekday: number }
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const formatters = new Map<string, Intl.DateTimeFormat>();
function localParts(ms: number, zone: string): LocalParts {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'long' });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { year: +p.year, month: +p.month, day: +p.day, hour: +p.hour, minute: +p.minute, weekday: WEEKDAYS.indexOf(p.weekday.toLowerCase()) };
}

/** UTC milliseconds of a wall-clock time in `zone` ("2026-11-29T10:00:00" without offset); with an offset, as given. */
export function wallTimeToUtc(text: string, zone: string): number {
  if (/(Z|[+-]\d\d:?\d\d)$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw invalid(`Cannot read time '${text}': use ISO 8601, e.g. 2026-11-29T10:00:00.`);
    return ms;
  }
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d))?)?$/.exec(text);
  if (!m) throw invalid(`Cannot read time '${text}': use ISO 8601, e.g. 2026-11-29T10:00:00.`);
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const p = localParts(guess, zone);
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    guess += wall - asUtc;
  }
  return guess;
}

/** One cron field → the set of values it allows. */
function cronField(text: string, min: number, max: number, names: string[] = []): Set<number> {
  const out = new Set<number>();
  const value = (v: string) => {
    const i = names.indexOf(v.toLowerCase().slice(0, 3));
    const n = i >= 0 ? i + min : Number(v);
    if (!Number.isInteger(n) || n < min || n > max + (max === 6 ? 1 : 0)) throw new Error(`'${v}' is outside ${min}-${max}`);
    return max === 6 && n === 7 ? 0 : n; // day-of-week 7 is Sunday too
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step '${stepText}'`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(value) as [number, number];
    else [lo, hi] = [value(range), stepText === undefined ? value(range) : max];
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

interface Matcher {
  day(p: LocalParts): boolean;
  hour(h: number): boolean;
  minute(m: number): boolean;
}

function cronMatcher(expression: string): Matcher {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw invalid(`Cron expression '${expression}' needs five fields: minute hour day-of-month month day-of-week.`);
  try {
    const [minutes, hours, days, months, weekdays] = [
      cronField(fields[0], 0, 59), cronField(fields[1], 0, 23), cronField(fields[2], 1, 31),
      cronField(fields[3], 1, 12, ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']),
      cronField(fields[4], 0, 6, ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']),
    ];
    // As in cron: when both day fields are restricted, either may match.
    const domAny = fields[2] === '*';
    const dowAny = fields[4] === '*';
    return {
      day: (p) => months.has(p.month) && (domAny || dowAny ? days.has(p.day) && weekdays.has(p.weekday) : days.has(p.day) || weekdays.has(p.weekday)),
      hour: (h) => hours.has(h),
      minute: (m) => minutes.has(m),
    };
  } catch (err) {
    throw invalid(`Cron expression '${expression}': ${(err as Error).message}.`);
  }
}

function recurrenceMatcher(t: RecurrenceTrigger, start: number, zone: string): Matcher {
  const s = localParts(start, zone);
  const startDay = Date.UTC(s.year, s.month - 1, s.day) / 86_400_000;
  const sched = t.schedule ?? {};
  const hours = new Set(sched.hours ?? [s.hour]);
  const minutes = new Set(sched.minutes ?? [s.minute]);
  const weekDays = new Set((sched.week_days ?? [WEEKDAYS[s.weekday]]).map((d) => WEEKDAYS.indexOf(String(d).toLowerCase())));
  const monthDays = new Set(sched.month_days ?? [s.day]);
  const dayIndex = (p: LocalParts) => Date.UTC(p.year, p.month - 1, p.day) / 86_400_000 - startDay;
  switch (t.frequency) {
    case 'day':
      return { day: (p) => dayIndex(p) % t.interval === 0, hour: (h) => hours.has(h), minute: (m) => minutes.has(m) };
    case 'week':
      return {
        day: (p) => weekDays.has(p.weekday) && Math.floor((dayIndex(p) + s.weekday) / 7) % t.interval === 0,
        hour: (h) => hours.has(h), minute: (m) => minutes.has(m),
      };
    case 'month':
      return { day: (p) => monthDays.has(p.day) && ((p.year - s.year) * 12 + p.month - s.month) % t.interval === 0, hour: (h) => hours.has(h), minute: (m) => minutes.has(m) };
    default:
      throw new Error('minute and hour recurrences are arithmetic');
  }
}

/** The first slot strictly after `after` (ms), or undefined past end_time or a year ahead. */
export function nextSlot(t: Trigger, after: number, createdAt: number): number | undefined {
  const zone = ianaZone(t.time_zone);
  const start = t.start_time ? wallTimeToUtc(t.start_time, zone) : createdAt;
  const end = t.end_time ? wallTimeToUtc(t.end_time, zone) : Infinity;
  const from = Math.max(after + 1, start);
  let slot: number | undefined;
  if (t.type === 'recurrence' && (t.frequency === 'minute' || t.frequency === 'hour')) {
    const period = t.interval * (t.frequency === 'minute' ? 60_000 : 3_600_000);
    slot = start + Math.max(0, Math.ceil((from - start) / period)) * period;
  } else {
    const match = t.type === 'cron' ? cronMatcher(t.expression) : recurrenceMatcher(t, start, zone);
    let ms = Math.ceil(from / 60_000) * 60_000;
    const horizon = ms + 366 * 86_400_000;
    while (ms < horizon) {
      const p = localParts(ms, zone);
      if (!match.day(p)) ms += ((23 - p.hour) * 60 + (60 - p.minute)) * 60_000;
      else if (!match.hour(p.hour)) ms += (60 - p.minute) * 60_000;
      else if (!match.minute(p.minute)) ms += 60_000;
      else {
        slot = ms;
        break;
      }
    }
  }
  return slot !== undefined && slot <= end ? slot : undefined;
}

/** Checks a trigger from YAML or a REST body; the stored form. */
export function readTrigger(raw: unknown): Trigger {
  const t = (raw ?? {}) as Record<string, unknown>;
  const zone = String(t.time_zone ?? 'UTC');
  ianaZone(zone);
  for (const k of ['start_time', 'end_time'] as const) if (t[k] !== undefined) wallTimeToUtc(String(t[k]), ianaZone(zone));
  const common = { start_time: t.start_time === undefined ? undefined : String(t.start_time), end_time: t.end_time === undefined ? undefined : String(t.end_time), time_zone: zone };
  if (t.type === 'cron') {
    if (typeof t.expression !== 'string') throw invalid("A cron trigger needs 'expression', e.g. \"0 2 * * *\" for 02:00 every day.");
    cronMatcher(t.expression);
    return { type: 'cron', expression: t.expression, ...common };
  }
  if (t.type === 'recurrence') {
    const frequency = String(t.frequency ?? '').toLowerCase();
    if (!['minute', 'hour', 'day', 'week', 'month'].includes(frequency)) throw invalid(`A recurrence trigger needs frequency minute, hour, day, week or month, got '${t.frequency}'.`);
    const interval = Number(t.interval ?? 1);
    if (!Number.isInteger(interval) || interval < 1) throw invalid(`Recurrence interval must be a whole number of at least 1, got '${t.interval}'.`);
    const schedule = t.schedule as RecurrenceTrigger['schedule'];
    for (const d of schedule?.week_days ?? []) if (!WEEKDAYS.includes(String(d).toLowerCase())) throw invalid(`Unknown week day '${d}': use monday … sunday.`);
    return { type: 'recurrence', frequency: frequency as RecurrenceTrigger['frequency'], interval, schedule, ...common };
  }
  throw invalid(`A schedule trigger needs type cron or recurrence, got '${t.type}'.`);
}
