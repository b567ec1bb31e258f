import { describe, expect, it } from 'vitest';
import { chaosStackFor } from './chaos-support.ts';

// The functions' DynamoDB calls are throttled, delayed, and have the responses of applied writes lost.
describe('chaos at the DynamoDB boundary', () => {
  const stackOf = chaosStackFor(
    'seed=11,dynamodb.response-lost=0.3,dynamodb.throttle=0.1,dynamodb.latency=0.05,latency-ms=20',
  );

  it('books each transfer once when the response of its append is lost', { timeout: 600_000 }, async () => {
    const stack = stackOf();
    const { a, b } = await stack.fundedPair('ddb', 10_000);
    for (let i = 1; i <= 8; i++) {
      const body = { debitAccountId: a, creditAccountId: b, amount: 100, currency: 'USD' };
      const first = await stack.send('POST', '/transfers', body, `ddb-tr-${i}`);
      expect(first.status).toBe(201);
      // The client retries once more anyway: the same transfer comes back.
      const again = await stack.send('POST', '/transfers', body, `ddb-tr-${i}`);
      expect(again.json.id).toBe(first.json.id);
    }
    expect(await stack.ledgerBalances(a)).toMatchObject({ creditsPosted: 10_000, debitsPosted: 800 });
    expect(await stack.ledgerBalances(b)).toMatchObject({ creditsPosted: 800, debitsPosted: 0 });
    // The projector's writes go through the same faults: the views still converge on the ledger.
    expect(await stack.viewBalances(a)).toMatchObject({ creditsPosted: 10_000, debitsPosted: 800 });
    expect(await stack.viewBalances(b)).toMatchObject({ creditsPosted: 800, debitsPosted: 0 });

    const log = stack.runtime.chaos.log();
    const lostAppends = log.filter(
      (f) =>
        f.kind === 'response-lost' && /^Ledgerline-PostTransfers\S* TransactWriteItems /.test(f.identity),
    );
    expect(lostAppends.length).toBeGreaterThan(0);
    expect(stack.runtime.chaos.counts()['dynamodb.throttle']).toBeGreaterThan(0);
    expect(stack.runtime.chaos.seed).toBe(11);
  });
});
