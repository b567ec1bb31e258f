// applyProcessorEvent on in-memory ports: routing of every handled type, and what counts as permanent.
import { describe, expect, it } from 'vitest';
import { openAccount } from '../../../lambdas/application/commands.ts';
import { confirmCapture } from '../../../lambdas/application/payments/commands.ts';
import { recordRefundResult } from '../../../lambdas/application/payments/refunds.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { availableBalance } from '../../../lambdas/domain/account.ts';
import type { MerchantNotification } from '../../../lambdas/domain/notifications.ts';
import type { InboxOutcome, WebhookInbox } from '../../../lambdas/domain/webhooks.ts';
import {
  applyProcessorEvent,
  type PaymentResults,
  type ProcessorEventPorts,
} from '../../../lambdas/handlers/workers/processor-events.ts';
import { ctx, inMemoryPorts } from '../../support/in-memory-ports.ts';

function setup(payments?: PaymentResults) {
  const outcomes: { eventId: string; outcome: InboxOutcome }[] = [];
  const sent: MerchantNotification[] = [];
  const inbox: WebhookInbox = {
    receive: async () => ({ duplicate: false }),
    record: async (eventId, outcome) => void outcomes.push({ eventId, outcome }),
  };
  const calls: unknown[] = [];
  const ports: ProcessorEventPorts = {
    ledger: inMemoryPorts(),
    inbox,
    notifier: { enqueue: async (n) => void sent.push(n) },
    payments: payments ?? {
      confirmCapture: async (_p, _c, input) => void calls.push(['confirmCapture', input]),
      recordRefundResult: async (_p, _c, input) => void calls.push(['recordRefundResult', input]),
    },
  };
  return { ports, outcomes, sent, calls };
}

const envelope = (
  id: string,
  type: string,
  metadata: Record<string, string>,
  data: Record<string, unknown>,
) => ({
  eventId: id,
  tenantId: 'tenant-a',
  type,
  receivedAt: '2026-11-21T12:00:00.000Z',
  event: { id, type, created: 1_795_000_000, metadata: { tenantId: 'tenant-a', ...metadata }, data },
});

describe('applyProcessorEvent', () => {
  it('hands capture confirmations and refund results to the saga’s commands', async () => {
    const { ports, calls, outcomes } = setup();
    await applyProcessorEvent(
      ports,
      envelope('evt_c', 'capture.confirmed', { paymentId: 'pay_1' }, { processorPaymentId: 'ch_1' }),
    );
    await applyProcessorEvent(
      ports,
      envelope('evt_r', 'refund.succeeded', { paymentId: 'pay_1' }, { refundId: 're_1' }),
    );
    await applyProcessorEvent(
      ports,
      envelope('evt_f', 'refund.failed', { paymentId: 'pay_1' }, { refundId: 're_2' }),
    );
    expect(calls).toEqual([
      ['confirmCapture', { paymentId: 'pay_1', processorPaymentId: 'ch_1' }],
      ['recordRefundResult', { paymentId: 'pay_1', refundId: 're_1', outcome: 'succeeded' }],
      ['recordRefundResult', { paymentId: 'pay_1', refundId: 're_2', outcome: 'failed' }],
    ]);
    expect(outcomes.map((o) => o.outcome.outcome)).toEqual(['applied', 'applied', 'applied']);
  });

  it('records a capture confirmation for an unknown payment as rejected (the real command)', async () => {
    const { ports, outcomes } = setup({ confirmCapture, recordRefundResult });
    const result = await applyProcessorEvent(
      ports,
      envelope('evt_x', 'capture.confirmed', { paymentId: 'pay_nope' }, { processorPaymentId: 'ch_1' }),
    );
    expect(result).toMatchObject({ outcome: 'rejected', code: 'payment-not-found' });
    expect(outcomes).toMatchObject([
      { eventId: 'evt_x', outcome: { outcome: 'rejected', code: 'payment-not-found' } },
    ]);
  });

  it('books a hold the merchant cannot cover: the processor already took the money', async () => {
    const { ports, sent } = setup();
    const merchant = await openAccount(ports.ledger, ctx(), { currency: 'EUR', kind: 'merchant' });
    const data = { disputeId: 'dp_9', processorPaymentId: 'ch_9', amount: 300, currency: 'EUR' };
    const result = await applyProcessorEvent(
      ports,
      envelope('evt_d', 'dispute.opened', { merchantAccountId: merchant.id }, data),
    );
    // The merchant has no funds, yet the hold is booked: a fact from outside is never refused.
    expect(result).toMatchObject({ outcome: 'applied' });
    const after = await getAccount(ports.ledger, ctx().tenantId, merchant.id);
    expect(availableBalance(after)).toBe(-300);
    // And the merchant is told, as for any dispute.
    expect(sent).toHaveLength(1);
  });

  it('rejects a queued envelope that does not match the signed event', async () => {
    const { ports } = setup();
    const message = envelope(
      'evt_m',
      'capture.confirmed',
      { paymentId: 'pay_1' },
      { processorPaymentId: 'ch_1' },
    );
    expect(await applyProcessorEvent(ports, { ...message, tenantId: 'tenant-b' })).toMatchObject({
      outcome: 'rejected',
      code: 'envelope-mismatch',
    });
  });
});
