/** Replaying a seed: the same seed run twice in serial mode must inject the same faults in the same order. */
import { runSeed, type SeedResult } from './run.ts';

/**
 * Rates for the replay check: every boundary the runtime owns (DynamoDB, streams, SQS, Lambda, the processor)
 * injects within a few dozen operations, while crashes (each holds a lock until the function's timeout, or a
 * message until its queue's visibility timeout) stay few.
 */
export const REPLAY_RATES =
  'dynamodb.response-lost=0.01,dynamodb.throttle=0.03,dynamodb.latency=0.02,sqs=0.15,stream=0.08,lambda.crash=0.005,lambda.timeout=0.005,processor=0.1';

export interface ReplayCheck {
  readonly seed: number;
  readonly runs: readonly [SeedResult, SeedResult];
  /** Both fault logs are the same list (operation by operation) and hash alike. */
  readonly identical: boolean;
  readonly boundaries: readonly string[];
  /** The first line where the two logs differ, if they do. */
  readonly firstDifference?: { readonly index: number; readonly first?: string; readonly second?: string };
}

/** Runs `seed` twice in serial mode (or, to see the difference, not) and compares the fault logs. */
export async function replayCheck(options: {
  readonly seed: number;
  readonly operations: number;
  readonly chaosRates: string;
  /** @default true */
  readonly serial?: boolean;
  readonly log?: (line: string) => void;
}): Promise<ReplayCheck> {
  const run = () => runSeed({ ...options, serial: options.serial ?? true });
  const first = await run();
  const second = await run();
  const a = first.faultLog;
  const b = second.faultLog;
  const index = a.findIndex((line, i) => line !== b[i]);
  const differ = index >= 0 || a.length !== b.length;
  const at = index >= 0 ? index : Math.min(a.length, b.length);
  return {
    seed: options.seed,
    runs: [first, second],
    identical: !differ && first.faultLogHash === second.faultLogHash,
    boundaries: [...new Set(Object.keys(first.faults).map((k) => k.split('.')[0] ?? k))].sort(),
    ...(differ ? { firstDifference: { index: at, first: a[at], second: b[at] } } : {}),
  };
}
