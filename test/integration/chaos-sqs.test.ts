import { describe, expect, it } from 'vitest';
import { disputeEvent, processorSignature } from '../support/processor-events.ts';
import { waitFor } from '../support/wait-for.ts';
import { CHAOS_PROCESSOR_SECRET, chaosStackFor } from './chaos-support.ts';

// Queue messages are delivered twice at once, and have their deletes lost (they come back later).
describe('chaos at the SQS boundary', () => {
  const stackOf = chaosStackFor('seed=31,sqs.duplicate=0.4,sqs.redeliver=0.4');

  it('processes each processor event once: one hold per dispute', { timeout: 300_000 }, async () => {
    const stack = stackOf();
    const merchant = await stack.openAccount('sqs-merchant', 'merchant');
    expect(
      (
        await stack.send(
          'POST',
          `/accounts/${merchant}/deposits`,
          { amount: 10_000, currency: 'USD' },
          'sqs-dep',
        )
      ).status,
    ).toBe(201);
    const events = await stack.get(`/accounts/${merchant}/events`);
    const tenantId = String((events.json.data as { actor: string }[])[0]?.actor).slice('api-key:'.length);
    for (let i = 1; i <= 8; i++) {
      const body = JSON.stringify(
        disputeEvent({
          id: `evt_sqs_${i}`,
          type: 'dispute.opened',
          tenantId,
          merchantAccountId: merchant,
          disputeId: `dp_sqs_${i}`,
          amount: 100,
        }),
      );
      const reply = await stack.send('POST', '/webhooks/processor', body, `sqs-evt-${i}`, {
        'content-type': 'application/json',
        'x-processor-signature': processorSignature(CHAOS_PROCESSOR_SECRET, body),
        'x-api-key': '',
      });
      expect(reply.status).toBe(202);
    }
    await waitFor(async () => (await stack.ledgerBalances(merchant)).debitsPending === 800, {
      timeoutMs: 60_000,
      what: 'eight dispute holds',
    });
    // Redelivered messages come back about a second later: give them time to be (not) applied again.
    await new Promise((r) => setTimeout(r, 4000));
    expect(await stack.ledgerBalances(merchant)).toMatchObject({ debitsPending: 800, available: 9200 });

    const counts = stack.runtime.chaos.counts();
    expect(counts['sqs.duplicate']).toBeGreaterThan(0);
    expect(counts['sqs.redeliver']).toBeGreaterThan(0);
  });
});
