import { randomUUID } from 'node:crypto';
import type { InvokeResult } from './lambda-pool.ts';
import { LOCAL_ACCOUNT_ID } from './naming.ts';
import { nextRun, type ScheduleExpression } from './schedule-expression.ts';

/** One Lambda target of a schedule rule. */
export interface ScheduleTarget {
  readonly id: string;
  readonly functionName: string;
  /** The target's constant `Input` (JSON), sent instead of the scheduled event. */
  readonly input?: unknown;
}

/** A schedule rule of the stack (`AWS::Events::Rule` with a `ScheduleExpression`), enabled. */
export interface PlannedSchedule {
  readonly logicalId: string;
  readonly ruleArn: string;
  readonly expression: ScheduleExpression;
  readonly targets: readonly ScheduleTarget[];
}

export interface ScheduleRunnerOptions {
  /** Invokes a function of the pool (EventBridge invokes asynchronously: nothing waits for it). */
  readonly invoke: (functionName: string, event: unknown) => Promise<InvokeResult>;
  readonly region: string;
  readonly log: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Runs schedules only when `fire()` is called, never on the clock (serial runs: the harness fires them at
   * points of its choosing, so when they run does not depend on how long the run took). @default false
   */
  readonly manual?: boolean;
}

/** The longest delay a Node timer takes; a later run is reached in several waits. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The event EventBridge sends a target of a schedule rule. */
export function scheduledEvent(ruleArn: string, region: string, atMs: number) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    time: new Date(Math.floor(atMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region,
    resources: [ruleArn],
    detail: {},
  };
}

/**
 * Runs schedule rules as EventBridge does: each target is invoked at every run (a rate from the moment
 * the schedule starts, a cron at its UTC minutes), asynchronously, whether or not the previous run has
 * finished; a failed invocation is logged (AWS would retry it, and the next run comes anyway). Stopping
 * clears every timer: no invocation starts after `stop`.
 */
export class ScheduleRunner {
  readonly #options: ScheduleRunnerOptions;
  readonly #now: () => number;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #schedules: PlannedSchedule[] = [];
  #stopped = false;

  constructor(options: ScheduleRunnerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Starts `schedule`: its first run is one period (rate) or its next matching minute (cron) from now. */
  start(schedule: PlannedSchedule): void {
    this.#schedules.push(schedule);
    if (this.#options.manual) return;
    const started = this.#now();
    this.#wait(schedule, started, nextRun(schedule.expression, started, started));
  }

  #wait(schedule: PlannedSchedule, started: number, at: number | null): void {
    if (this.#stopped) return;
    if (at === null) {
      this.#options.log(`${schedule.logicalId}: ${schedule.expression.text} never runs again`);
      return;
    }
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        if (this.#now() < at) return this.#wait(schedule, started, at);
        void this.#run(schedule, at);
        this.#wait(schedule, started, nextRun(schedule.expression, this.#now(), started));
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - this.#now())),
    );
    this.#timers.add(timer);
  }

  /** Runs every target of `schedule` once; resolves when their invocations ended (nothing has to wait). */
  #run(schedule: PlannedSchedule, at: number): Promise<void> {
    const event = scheduledEvent(schedule.ruleArn, this.#options.region, at);
    const runs = schedule.targets.map((target) => {
      const payload = target.input === undefined ? event : target.input;
      const fail = (why: string) => {
        if (!this.#stopped) this.#options.log(`${schedule.logicalId} → ${target.functionName}: ${why}`);
      };
      return this.#options.invoke(target.functionName, payload).then(
        (result) => {
          if (!result.ok) fail(`${result.error.errorType}: ${result.error.errorMessage}`);
        },
        (error: unknown) => fail(String(error)),
      );
    });
    return Promise.all(runs).then(() => undefined);
  }

  /** Runs every schedule once now, one after another; resolves when their invocations ended. */
  async fire(): Promise<void> {
    for (const schedule of this.#schedules) if (!this.#stopped) await this.#run(schedule, this.#now());
  }

  /** Clears every timer; invocations already running finish (or end with the Lambda pool). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

/** Starts every schedule of the stack on one runner (stop it with the runtime). */
export function startSchedules(
  schedules: readonly PlannedSchedule[],
  options: ScheduleRunnerOptions,
): ScheduleRunner {
  const runner = new ScheduleRunner(options);
  for (const schedule of schedules) {
    runner.start(schedule);
    const targets = schedule.targets.map((t) => t.functionName).join(', ');
    options.log(`schedule ${schedule.logicalId}: ${schedule.expression.text} → ${targets}`);
  }
  return runner;
}
