import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { chaosStackFor } from './chaos-support.ts';

/** `value[name]` of a JSON answer, or undefined. */
const field = (value: unknown, name: string): unknown =>
  value && typeof value === 'object' ? Object.entries(value).find(([k]) => k === name)?.[1] : undefined;

// The sandbox processor answers 5xx, declines (and records the decline), drops the connection after it acted,
// or answers late.
describe('chaos at the processor boundary', () => {
  const stackOf = chaosStackFor(
    'seed=51,processor.5xx=0.2,processor.decline=0.3,processor.timeout=0.15,processor.late-capture=0.15',
  );

  it('ends every payment settled or failed and compensated, a decline as a decline', {
    timeout: 600_000,
  }, async () => {
    const stack = stackOf();
    const FUNDS = 10_000;
    const AMOUNT = 1000;
    const payee = await stack.openAccount('pr-merchant', 'merchant');
    const payers: string[] = [];
    const payments: string[] = [];
    for (let i = 1; i <= 12; i++) {
      const payer = await stack.openAccount(`pr-payer-${i}`);
      expect(
        (
          await stack.send(
            'POST',
            `/accounts/${payer}/deposits`,
            { amount: FUNDS, currency: 'USD' },
            `pr-dep-${i}`,
          )
        ).status,
      ).toBe(201);
      const body = {
        payerAccountId: payer,
        merchantAccountId: payee,
        amount: AMOUNT,
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
      };
      const reply = await stack.send('POST', '/payments', body, `pr-pay-${i}`);
      expect(reply.status, JSON.stringify(reply.json)).toBe(202);
      payers.push(payer);
      payments.push(String(reply.json.id));
    }
    const declined: unknown[] = [];
    let settled = 0;
    let fees = 0;
    for (const [i, id] of payments.entries()) {
      const payment = await waitFor(
        async () => {
          const reply = await stack.get(`/payments/${id}`);
          return ['settled', 'failed'].includes(String(reply.json.status)) ? reply.json : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 250, what: `payment ${id} settled or failed` },
      );
      const payer = await stack.ledgerBalances(payers[i] ?? '');
      expect(payer.debitsPending).toBe(0);
      if (payment.status === 'settled') {
        settled++;
        fees += Number(payment.fee);
        expect(payer.creditsPosted - payer.debitsPosted).toBe(FUNDS - AMOUNT);
      } else {
        // Failed and compensated: the reservation voided, a capture refunded at the processor (or none made).
        expect(payer.creditsPosted - payer.debitsPosted, JSON.stringify(payment)).toBe(FUNDS);
        expect(payment).toMatchObject({ reservationVoided: true });
        const refund = field(payment.captureRefund, 'outcome');
        if (refund !== undefined) expect(['refunded', 'nothing-to-refund']).toContain(refund);
        // Too many 5xx/timeouts in a row: the saga gives up as "processor-unavailable"; else it is a decline.
        if (field(payment.failure, 'reason') !== 'processor-unavailable') declined.push(payment.failure);
      }
    }
    const counts = stack.runtime.chaos.counts();
    // A decline fails its payment as declined, the saga seeing it as one. (An injected decline can lose the race
    // to a concurrent retry of the same capture, which the processor then captures: at most one per decline.)
    expect(declined.length).toBeGreaterThan(0);
    expect(declined.length).toBeLessThanOrEqual(counts['processor.decline'] ?? 0);
    for (const failure of declined)
      expect(String(field(failure, 'reason'))).toMatch(/^payment-declined:card_declined/);
    const m = await stack.ledgerBalances(payee);
    expect(m.creditsPosted - m.debitsPosted).toBe(settled * AMOUNT - fees);
    for (const kind of ['processor.5xx', 'processor.decline', 'processor.timeout', 'processor.late-capture'])
      expect(counts[kind], kind).toBeGreaterThan(0);
  });
});
