import { describe, expect, it } from 'vitest';
import { chaosStackFor } from './chaos-support.ts';

// Functions crash right after their first write, or run to their end while the caller sees a timeout.
describe('chaos at the Lambda boundary', () => {
  const stackOf = chaosStackFor('seed=41,lambda.crash=0.25,lambda.timeout=0.25');

  it('converges on one transfer per request when the function crashes or times out', {
    timeout: 600_000,
  }, async () => {
    const stack = stackOf();
    const { a, b } = await stack.fundedPair('fn', 3000);
    const ids = new Set<string>();
    for (let i = 1; i <= 6; i++) {
      const body = { debitAccountId: a, creditAccountId: b, amount: 100, currency: 'USD' };
      const reply = await stack.send('POST', '/transfers', body, `fn-tr-${i}`);
      expect(reply.status).toBe(201);
      ids.add(String(reply.json.id));
    }
    expect(ids.size).toBe(6);
    expect(await stack.ledgerBalances(a)).toMatchObject({ creditsPosted: 3000, debitsPosted: 600 });
    expect(await stack.viewBalances(b)).toMatchObject({ creditsPosted: 600, debitsPosted: 0 });
    const history = await stack.get(`/accounts/${b}/transactions?limit=100`);
    expect(history.json.data).toHaveLength(6);

    const counts = stack.runtime.chaos.counts();
    expect(counts['lambda.crash']).toBeGreaterThan(0);
    expect(counts['lambda.timeout']).toBeGreaterThan(0);
  });
});
