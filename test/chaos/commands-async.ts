/** The asynchronous operations: payments (the saga), refunds, and processor events (disputes). */
import { type Json, problemCode } from './client.ts';
import {
  type Cmd,
  command,
  expectAnswer,
  expectBalances,
  isJson,
  ModelMismatch,
  one,
  pick,
  type Real,
} from './commands.ts';
import {
  applyDispute,
  applyRefund,
  applySettled,
  type Currency,
  expectPayment,
  expectRefund,
  FAULT_FAILURES,
  feeOf,
  MAX_PAYMENTS_PER_PAYER,
  type Model,
  type ModelAccount,
  type ModelDispute,
} from './model.ts';

/**
 * Polls `probe` until it returns a value, or gives up after `timeoutMs` (undefined). Serial: probes once,
 * the stack being quiescent already (the client settles it after every answer).
 */
async function poll<T>(
  r: Real,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T | undefined> {
  if (r.serial) return probe();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** How long a payment may take to reach a terminal state (the saga retries the processor with backoff). */
const PAYMENT_DEADLINE_MS = 240_000;

export function payment(payerIndex: number, merchantIndex: number, amount: number): Cmd {
  const customers = (m: Readonly<Model>) => m.accounts.filter((a) => a.kind === 'customer');
  const merchants = (m: Readonly<Model>, c: Currency) =>
    m.accounts.filter((a) => a.kind === 'merchant' && a.currency === c);
  return command(
    'payment',
    () => `payment(#${payerIndex}→merchant #${merchantIndex},${amount})`,
    (m) =>
      customers(m).some(
        (p) =>
          merchants(m, p.currency).length > 0 &&
          (m.paymentsByPayer.get(p.id) ?? 0) < MAX_PAYMENTS_PER_PAYER - 1,
      ),
    async (m, r, key) => {
      const payers = customers(m).filter(
        (p) =>
          merchants(m, p.currency).length > 0 &&
          (m.paymentsByPayer.get(p.id) ?? 0) < MAX_PAYMENTS_PER_PAYER - 1,
      );
      const payer = one(payers, payerIndex);
      const merchant = one(merchants(m, payer.currency), merchantIndex);
      const expected = expectPayment(payer, merchant, amount);
      const body = {
        payerAccountId: payer.id,
        merchantAccountId: merchant.id,
        amount,
        currency: payer.currency,
        paymentMethod: 'pm_card_visa',
      };
      const answer = await r.client.command('/payments', body, key);
      expectAnswer(`payment ${key}`, answer, { ok: true }, 202);
      const id = String(answer.json.id);
      m.paymentsByPayer.set(payer.id, (m.paymentsByPayer.get(payer.id) ?? 0) + 1);
      const final = await poll(
        r,
        async () => {
          const view = await r.client.get(`/payments/${id}`);
          return view.json.status === 'settled' || view.json.status === 'failed' ? view.json : undefined;
        },
        PAYMENT_DEADLINE_MS,
      );
      if (!final)
        throw new ModelMismatch(`payment ${id} not settled or failed within ${PAYMENT_DEADLINE_MS} ms`);
      const reason = isJson(final.failure) ? String(final.failure.reason) : '';
      const fee = feeOf(amount);
      const settled = final.status === 'settled';
      const explained =
        (expected.ok && (settled || (r.chaos && FAULT_FAILURES.test(reason)))) ||
        (!expected.ok && !settled && reason === expected.code);
      if (!explained) {
        throw new ModelMismatch(
          `payment ${id}: expected ${expected.ok ? 'settled' : `failed (${expected.code})`}, got ${JSON.stringify(final)}`,
        );
      }
      if (expected.ok && !settled) {
        // Counted apart in the report: a payment the model expected to settle, failed by a fault.
        const name = `payment failed: ${reason}`;
        r.byName[name] = (r.byName[name] ?? 0) + 1;
      }
      const p = {
        id,
        payer: payer.id,
        merchant: merchant.id,
        amount,
        fee,
        status: settled ? 'settled' : 'failed',
        refunded: 0,
      } as const;
      m.payments.push({ ...p });
      if (settled) applySettled(m, p);
      await expectBalances(r, payer, `after payment ${id}`);
      await expectBalances(r, merchant, `after payment ${id}`);
    },
  );
}

export function refund(index: number, amount: number): Cmd {
  return command(
    'refund',
    () => `refund(#${index},${amount})`,
    (m) => m.payments.length > 0,
    async (m, r, key) => {
      const p = pick(m.payments, index);
      if (!p) return;
      const expected = expectRefund(m, p, amount);
      const answer = await r.client.command(`/payments/${p.id}/refunds`, { amount }, key);
      const declined =
        (answer.status === 201 && answer.json.status === 'failed') ||
        problemCode(answer) === 'payment-declined';
      if (expected.ok && r.chaos && declined) {
        // The processor declined the refund (an injected fault): the hold was released, nothing moved.
      } else {
        expectAnswer(`refund ${key} of ${p.id}`, answer, expected, 201);
        if (expected.ok) {
          if (answer.json.status !== 'succeeded')
            throw new ModelMismatch(`refund ${key}: ${JSON.stringify(answer.json)}`);
          applyRefund(m, p, amount);
        }
      }
      for (const id of [p.payer, p.merchant]) {
        const a = m.accounts.find((x) => x.id === id);
        if (a) await expectBalances(r, a, `after refund ${key}`);
      }
    },
  );
}

/**
 * How long a processor event may take to show: a worker that crashed gets its message back only after the
 * queue's visibility timeout (6 × its 30 s timeout).
 */
const PROCESSOR_EVENT_DEADLINE_MS = 240_000;

/** The merchant's balances reach the model's (a processor event is applied asynchronously). */
async function awaitBalances(r: Real, account: ModelAccount, what: string): Promise<void> {
  const reached = await poll(
    r,
    async () => {
      try {
        await expectBalances(r, account, what);
        return true;
      } catch {
        return undefined;
      }
    },
    PROCESSOR_EVENT_DEADLINE_MS,
  );
  const waited = r.serial ? 'at quiescence' : `after ${PROCESSOR_EVENT_DEADLINE_MS / 1000} s`;
  if (!reached) await expectBalances(r, account, `${what} (${waited})`);
}

/** 2026-01-01T00:00:00Z: serial runs date processor events from it, a second per operation. */
const SERIAL_CREATED = 1_767_225_600;

function disputeEvent(r: Real, d: ModelDispute, type: string, currency: Currency, key: string): Json {
  const id = `evt_${key}`;
  r.webhookIds.push(id);
  return {
    id,
    type,
    created: r.serial ? SERIAL_CREATED + r.ops : Math.floor(Date.now() / 1000),
    metadata: { tenantId: r.tenantId, merchantAccountId: d.merchant, paymentId: `pay_${r.runId}` },
    data: {
      disputeId: d.id,
      processorPaymentId: `ch_${d.id}`,
      amount: d.amount,
      currency,
      reason: 'fraudulent',
    },
  };
}

export function openDispute(index: number, amount: number): Cmd {
  return command(
    'dispute.opened',
    () => `dispute.opened(merchant #${index},${amount})`,
    (m) => m.accounts.some((a) => a.kind === 'merchant'),
    async (m, r, key) => {
      const merchant = one(
        m.accounts.filter((a) => a.kind === 'merchant'),
        index,
      );
      const d: ModelDispute = { id: `dp_${key}`, merchant: merchant.id, amount, status: 'open' };
      const answer = await r.client.webhook(
        r.webhookSecret,
        disputeEvent(r, d, 'dispute.opened', merchant.currency, key),
      );
      expectAnswer(`dispute.opened ${d.id}`, answer, { ok: true }, 202);
      m.disputes.push(d);
      applyDispute(m, d, 'open');
      await awaitBalances(r, merchant, `after dispute.opened ${d.id}`);
    },
  );
}

export function closeDispute(index: number, outcome: 'won' | 'lost'): Cmd {
  return command(
    `dispute.${outcome}`,
    () => `dispute.${outcome}(#${index})`,
    (m) => m.disputes.some((d) => d.status === 'open'),
    async (m, r, key) => {
      const d = one(
        m.disputes.filter((x) => x.status === 'open'),
        index,
      );
      const merchant = one(
        m.accounts.filter((a) => a.id === d.merchant),
        0,
      );
      const event = disputeEvent(r, d, `dispute.${outcome}`, merchant.currency, key);
      const answer = await r.client.webhook(r.webhookSecret, event);
      expectAnswer(`dispute.${outcome} ${d.id}`, answer, { ok: true }, 202);
      applyDispute(m, d, outcome);
      await awaitBalances(r, merchant, `after dispute.${outcome} ${d.id}`);
    },
  );
}
