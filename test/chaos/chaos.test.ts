import { expect, it } from 'vitest';
import { DEFAULT_RATES } from './main.ts';
import { REPLAY_RATES, replayCheck } from './replay.ts';
import { runSeed } from './run.ts';

// The short seeded chaos run inside `npm test`: one seed, 40 operations, chaos on. The long run
// (10 seeds, 5,000 operations) is `npm run test:chaos`. CHAOS_SHORT_SEED / CHAOS_SHORT_OPERATIONS override.
const seed = Number(process.env.CHAOS_SHORT_SEED ?? 20261130);
const operations = Number(process.env.CHAOS_SHORT_OPERATIONS ?? 40);

it(`a seeded model-based run under chaos keeps every invariant (seed ${seed}, ${operations} operations)`, async () => {
  const result = await runSeed({ seed, operations, chaosRates: DEFAULT_RATES });
  const { durationMs, checkMs, faults, msByName } = result;
  console.log(`chaos (short): ${JSON.stringify({ durationMs, checkMs, faults, msByName })}`);
  expect(result.operations).toBe(operations);
  expect(result.violations, `replay: ${result.replay}`).toEqual([]);
}, 300_000);

// Replaying a seed: the same seed twice in serial mode injects the same faults, operation by operation.
const replaySeed = Number(process.env.CHAOS_REPLAY_SEED ?? 7);
const replayOperations = Number(process.env.CHAOS_REPLAY_OPERATIONS ?? 40);

it(`re-running a seed in serial mode reproduces its fault log exactly (seed ${replaySeed}, ${replayOperations} operations)`, async () => {
  const check = await replayCheck({
    seed: replaySeed,
    operations: replayOperations,
    chaosRates: REPLAY_RATES,
  });
  const [first, second] = check.runs;
  console.log(
    `chaos (replay): ${JSON.stringify({ faults: first.faults, hashes: [first.faultLogHash, second.faultLogHash], ms: [first.durationMs, second.durationMs] })}`,
  );
  expect(first.violations, `replay: ${first.replay}`).toEqual([]);
  expect(first.operations).toBe(replayOperations);
  expect(first.faultCount).toBeGreaterThanOrEqual(15);
  expect(check.boundaries.length).toBeGreaterThanOrEqual(4);
  expect(second.faultLog, JSON.stringify(check.firstDifference)).toEqual(first.faultLog);
  expect(second.faultLogHash).toBe(first.faultLogHash);
  expect(check.identical).toBe(true);
}, 600_000);
