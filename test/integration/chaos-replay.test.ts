import { describe, expect, it } from 'vitest';
import type { InjectedFault } from '../../local/chaos.ts';
import { startChaosStack } from './chaos-support.ts';

const SPEC =
  'seed=61,dynamodb.throttle=0.15,dynamodb.latency=0.1,latency-ms=10,stream.duplicate=0.2,stream.redeliver=0.2';

const settle = () => new Promise((r) => setTimeout(r, 2500));

/**
 * A sequential scenario: each step then waits for the projections to settle (a pause, not a poll through the
 * API, whose number of reads would depend on timing), so nothing of it runs concurrently.
 */
async function runScenario(): Promise<readonly InjectedFault[]> {
  const stack = await startChaosStack(SPEC);
  try {
    const a = await stack.openAccount('rp-open-a');
    const b = await stack.openAccount('rp-open-b');
    await settle();
    expect(
      (await stack.send('POST', `/accounts/${a}/deposits`, { amount: 1000, currency: 'USD' }, 'rp-dep'))
        .status,
    ).toBe(201);
    await settle();
    for (let i = 1; i <= 4; i++) {
      const body = { debitAccountId: a, creditAccountId: b, amount: 10, currency: 'USD' };
      expect((await stack.send('POST', '/transfers', body, `rp-tr-${i}`)).status).toBe(201);
      await settle();
    }
    const log = stack.runtime.chaos.log();
    expect(await stack.viewBalances(b)).toMatchObject({ creditsPosted: 40 });
    return log;
  } finally {
    await stack.stop();
    // The seed and what was injected, printed at stop.
    const summary = /^chaos: seed=61 injected \d+ fault\(s\): .*dynamodb\.throttle=\d+/;
    expect(stack.lines().filter((line) => summary.test(line))).toHaveLength(1);
  }
}

/**
 * The log as a sorted multiset. Left out: the DynamoDB calls of the stream consumers, whose writes group the
 * records of one batch (one transaction per batch), so they depend on how the poller happened to batch them;
 * and the authorizer's reads, which its grant cache (a wall-clock TTL) skips or not by timing.
 */
const sorted = (log: readonly InjectedFault[]) =>
  log
    .filter(
      (f) =>
        f.boundary !== 'dynamodb' ||
        !/^Ledgerline-(Projector|Relay|TenantsAuthorizer)Function/.test(f.identity),
    )
    .map((f) => `${f.boundary} ${f.kind} ${f.identity}`)
    .sort();

describe('chaos replay', () => {
  it('injects the same faults again when a scenario runs again with the same seed', {
    timeout: 600_000,
  }, async () => {
    const first = sorted(await runScenario());
    const second = sorted(await runScenario());
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });
});
