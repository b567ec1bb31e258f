/**
 * EventBridge schedule expressions, as AWS reads them: `rate(<value> <unit>)` and the six-field
 * `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)`, in UTC.
 */

/** A parsed schedule expression. */
export type ScheduleExpression =
  | { readonly kind: 'rate'; readonly text: string; readonly everyMs: number }
  | { readonly kind: 'cron'; readonly text: string; readonly fields: CronFields };

/** The allowed values of each cron field; `null` for a day field left as `?`. */
export interface CronFields {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number> | null;
  readonly months: ReadonlySet<number>;
  /** 1 = Sunday … 7 = Saturday, as EventBridge numbers them. */
  readonly daysOfWeek: ReadonlySet<number> | null;
  readonly years: ReadonlySet<number>;
}

/** A schedule expression AWS would refuse, or one the local runtime does not run. */
export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Parses `rate(…)` or `cron(…)`; throws ScheduleExpressionError saying what is wrong. */
export function parseScheduleExpression(text: string): ScheduleExpression {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    const unit = String(rate[2]);
    const singular = unit.replace(/s$/, '') as keyof typeof UNIT_MS;
    if (value < 1) throw new ScheduleExpressionError(`${text}: the rate must be a positive whole number`);
    // AWS: a value of 1 takes the singular unit, any other value the plural.
    if ((value === 1) !== (unit === singular)) {
      throw new ScheduleExpressionError(
        `${text}: write rate(1 ${singular}) for one, rate(${value} ${singular}s) for more`,
      );
    }
    return { kind: 'rate', text, everyMs: value * UNIT_MS[singular] };
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (!cron) throw new ScheduleExpressionError(`${text}: expected rate(<value> <unit>) or cron(<6 fields>)`);
  const parts = String(cron[1]).trim().split(/\s+/);
  if (parts.length !== 6)
    throw new ScheduleExpressionError(`${text}: cron takes 6 fields, got ${parts.length}`);
  const [minutes, hours, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(`${text}: exactly one of day-of-month and day-of-week must be ?`);
  }
  return {
    kind: 'cron',
    text,
    fields: {
      minutes: field(text, 'minutes', minutes, 0, 59),
      hours: field(text, 'hours', hours, 0, 23),
      daysOfMonth: dom === '?' ? null : field(text, 'day-of-month', dom, 1, 31),
      months: field(text, 'month', month, 1, 12, MONTHS),
      daysOfWeek: dow === '?' ? null : field(text, 'day-of-week', dow, 1, 7, DAYS),
      years: field(text, 'year', year, 1970, 2199),
    },
  };
}

/** One cron field: `*`, `a`, `a-b`, `*\/n`, `a/n`, `a-b/n`, and lists of them; names where the field has them. */
function field(text: string, name: string, value: string, min: number, max: number, names?: string[]) {
  const bad = (why: string): never => {
    throw new ScheduleExpressionError(`${text}: ${name} '${value}' ${why}`);
  };
  const withoutNames = names ? value.toUpperCase().replace(new RegExp(names.join('|'), 'g'), '') : value;
  if (/[LW#]/i.test(withoutNames)) {
    bad('uses L, W or #, which the local runtime does not run');
  }
  const number = (token: string): number => {
    const named = names?.indexOf(token.toUpperCase()) ?? -1;
    const n = named >= 0 ? named + 1 : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) bad(`is not ${min}-${max}`);
    return n;
  };
  const values = new Set<number>();
  for (const item of value.split(',')) {
    const [range = '', step, extra] = item.split('/');
    if (extra !== undefined || step === '') bad('has a malformed step');
    const by = step === undefined ? 1 : Number(step);
    if (!Number.isInteger(by) || by < 1) bad('has a step that is not a positive whole number');
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [number(a), number(b)];
      if (from > to) bad('has a range that runs backwards');
    } else [from, to] = [number(range), step === undefined ? number(range) : max];
    for (let n = from; n <= to; n += by) values.add(n);
  }
  return values;
}

/** How far ahead a cron schedule is searched for its next run. */
const CRON_HORIZON_DAYS = 5 * 366;

/**
 * The first run strictly after `afterMs`: a rate schedule runs every period from `startedMs` (as a rule
 * does from its creation), a cron schedule at its minutes, UTC. Null when a cron never runs again.
 */
export function nextRun(schedule: ScheduleExpression, afterMs: number, startedMs: number): number | null {
  if (schedule.kind === 'rate') {
    const periods = Math.floor((afterMs - startedMs) / schedule.everyMs) + 1;
    return startedMs + Math.max(1, periods) * schedule.everyMs;
  }
  const f = schedule.fields;
  const first = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  const day = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
  for (let d = 0; d < CRON_HORIZON_DAYS; d++) {
    const date = new Date(day + d * UNIT_MS.day);
    const matches =
      f.years.has(date.getUTCFullYear()) &&
      f.months.has(date.getUTCMonth() + 1) &&
      (f.daysOfMonth?.has(date.getUTCDate()) ?? true) &&
      (f.daysOfWeek?.has(date.getUTCDay() + 1) ?? true);
    if (!matches) continue;
    for (const hour of [...f.hours].sort((a, b) => a - b)) {
      for (const minute of [...f.minutes].sort((a, b) => a - b)) {
        const at = date.getTime() + hour * UNIT_MS.hour + minute * UNIT_MS.minute;
        if (at >= first.getTime()) return at;
      }
    }
  }
  return null;
}
