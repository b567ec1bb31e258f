import { describe, expect, it } from 'vitest';
import { chaosStackFor } from './chaos-support.ts';

// The events table's stream batches are duplicated, re-delivered after the next batch, and failed.
describe('chaos at the DynamoDB Streams boundary', () => {
  const stackOf = chaosStackFor('seed=21,stream.duplicate=0.3,stream.redeliver=0.3,stream.fail=0.2');

  it('projects every event once: the views and the history equal the ledger', {
    timeout: 300_000,
  }, async () => {
    const stack = stackOf();
    const { a, b } = await stack.fundedPair('st', 5000);
    for (let i = 1; i <= 10; i++) {
      const body = { debitAccountId: a, creditAccountId: b, amount: 10 * i, currency: 'USD' };
      expect((await stack.send('POST', '/transfers', body, `st-tr-${i}`)).status).toBe(201);
    }
    // 10 + 20 + … + 100
    expect(await stack.viewBalances(a)).toMatchObject({
      creditsPosted: 5000,
      debitsPosted: 550,
      available: 4450,
    });
    expect(await stack.viewBalances(b)).toMatchObject({ creditsPosted: 550, debitsPosted: 0 });
    const history = await stack.get(`/accounts/${b}/transactions?limit=100`);
    expect(history.json.data).toHaveLength(10);

    const counts = stack.runtime.chaos.counts();
    for (const kind of ['stream.duplicate', 'stream.redeliver', 'stream.fail'])
      expect(counts[kind], kind).toBeGreaterThan(0);
    expect(stack.runtime.chaos.log().every((f) => f.boundary === 'stream')).toBe(true);
  });
});
