import { expect, it } from 'vitest';
import { DEFAULT_RATES } from './main.ts';
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
