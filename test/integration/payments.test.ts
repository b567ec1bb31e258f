import { randomUUID } from 'node:crypto';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { expect, inject, it } from 'vitest';
import { resumeSaga } from '../../cli/saga-operations.ts';
import { apiClient, checkContract } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

// Black box over HTTP (the operator test also uses the saga's operator surface: Step Functions and the
// sandbox processor's test helper), against whatever target the global setup chose.
const apiUrl = inject('apiUrl').replace(/\/$/, '');
checkContract(apiUrl);
const apiKey = inject('apiKey');
const operator = inject('paymentsOperator');
const CURRENCY = 'USD';
const CLEARING = `clearing-${CURRENCY}`;
const FEES = `fees-${CURRENCY}`;
/** Far enough ahead that `?asOf=` replays every event: the write side, strongly consistent. */
const LATEST = '9999-12-31T23:59:59Z';

/** Step Functions: the local runtime's endpoint, or AWS's own (credentials and region from the environment). */
function sfnClient(): SFNClient {
  const endpoint = operator?.stepFunctionsEndpoint;
  return new SFNClient({
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

const api = apiClient(apiUrl, apiKey);
const request = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
  api<any>(method, path, body, headers);

async function openAccount(kind: 'customer' | 'merchant' = 'customer'): Promise<string> {
  const reply = await request('POST', '/accounts', { currency: CURRENCY, kind });
  expect(reply.status).toBe(201);
  return reply.json.id;
}

/** Posted credits − debits, and pending debits, from the event store (404 = never used = zero). */
async function balanceOf(id: string): Promise<{ posted: number; pending: number }> {
  const reply = await request('GET', `/accounts/${id}?asOf=${LATEST}`);
  if (reply.status === 404) return { posted: 0, pending: 0 };
  expect(reply.status).toBe(200);
  const b = reply.json.balances;
  return { posted: b.creditsPosted - b.debitsPosted, pending: b.debitsPending + b.creditsPending };
}

interface Parties {
  readonly payer: string;
  readonly merchant: string;
}

async function snapshot(parties: Parties) {
  const ids = [parties.payer, parties.merchant, CLEARING, FEES];
  const values = await Promise.all(ids.map(balanceOf));
  return Object.fromEntries(ids.map((id, i) => [id, values[i]])) as Record<
    string,
    { posted: number; pending: number }
  >;
}

/** The ledger invariant over the accounts a payment touches: their posted sum never changes. */
const postedSum = (s: Record<string, { posted: number }>) =>
  Object.values(s).reduce((a, b) => a + b.posted, 0);

async function parties(funds = 100_000): Promise<Parties> {
  const payer = await openAccount();
  const merchant = await openAccount('merchant');
  if (funds > 0) {
    const deposit = await request('POST', `/accounts/${payer}/deposits`, {
      amount: funds,
      currency: CURRENCY,
    });
    expect(deposit.status).toBe(201);
  }
  return { payer, merchant };
}

async function pay(p: Parties, amount: number, paymentMethod: string, key = randomUUID()) {
  const reply = await request(
    'POST',
    '/payments',
    { payerAccountId: p.payer, merchantAccountId: p.merchant, amount, currency: CURRENCY, paymentMethod },
    { 'Idempotency-Key': key },
  );
  expect(reply.status, JSON.stringify(reply.json)).toBe(202);
  expect(reply.json.status).toBe('pending');
  return reply.json.id as string;
}

/** Polls the payment view until the payment is settled or failed and its last event is projected. */
async function finalPayment(id: string, timeoutMs = 45_000) {
  return waitFor(
    async () => {
      const reply = await request('GET', `/payments/${id}`);
      if (reply.status !== 200) return undefined;
      return reply.json.status === 'settled' || reply.json.status === 'failed' ? reply.json : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `payment ${id} settled or failed` },
  );
}

async function accountEvents(
  id: string,
): Promise<{ stream: string; type: string; payload: Record<string, unknown> }[]> {
  const reply = await request('GET', `/accounts/${id}/events?limit=100`);
  expect(reply.status).toBe(200);
  return reply.json.data;
}

/** Runs a payment to its end and checks that balances are back where they were and the books balance. */
async function expectCompensated(p: Parties, before: Awaited<ReturnType<typeof snapshot>>, id: string) {
  const payment = await finalPayment(id);
  expect(payment.status).toBe('failed');
  const after = await snapshot(p);
  expect(after).toEqual(before);
  expect(postedSum(after)).toBe(postedSum(before));
  return payment;
}

describeTarget('payment settlement (the saga) over HTTP', inject('skipReason'), inject('targetName'), () => {
  it('settles: payer pays the amount, the merchant gets amount − fee, the fee account the fee', async () => {
    const p = await parties();
    const before = await snapshot(p);
    const id = await pay(p, 10_000, 'pm_card_visa');
    const payment = await finalPayment(id);
    expect(payment).toMatchObject({ status: 'settled', amount: 10_000, fee: 290, failure: null });
    expect(payment.transferIds).toEqual([`${id}-reserve`, `${id}-payout`, `${id}-fee`]);
    const after = await snapshot(p);
    expect(after[p.payer]).toEqual({ posted: (before[p.payer]?.posted ?? 0) - 10_000, pending: 0 });
    expect(after[p.merchant]).toEqual({ posted: 9_710, pending: 0 });
    expect((after[FEES]?.posted ?? 0) - (before[FEES]?.posted ?? 0)).toBe(290);
    expect(after[CLEARING]).toEqual(before[CLEARING]);
    expect(postedSum(after)).toBe(postedSum(before));
    // The story, on the accounts' own streams.
    expect((await accountEvents(p.payer)).map((e) => e.type).slice(-2)).toEqual([
      'TransferPending',
      'PendingTransferPosted',
    ]);
    // The fee landed on one shard of the fee account; its postings are one history, in the read model.
    const feeRow = await waitFor(
      async () => {
        const rows: { transferId: string }[] = (
          await request('GET', `/accounts/${FEES}/transactions?limit=100`)
        ).json.data;
        return rows?.find((row) => row.transferId === `${id}-fee`);
      },
      { what: 'the fee posting', timeoutMs: 20_000 },
    );
    expect(feeRow).toMatchObject({
      amount: 290,
      postedBalanceAfter: null,
      stream: expect.stringMatching(/^fees-USD~\d+$/),
    });
    // The merchant is hot: its payout landed on one of its replicas, listed after its main stream.
    const payouts = (await accountEvents(p.merchant)).filter((e) => e.type === 'TransferPosted');
    expect(payouts).toEqual([
      expect.objectContaining({
        stream: expect.stringMatching(new RegExp(`^${p.merchant}~\\d+$`)),
        payload: expect.objectContaining({
          transferId: `${id}-payout`,
          amount: 9_710,
          reference: `payment:${id}`,
        }),
      }),
    ]);
  });

  it('starts one execution for a duplicate POST with the same Idempotency-Key', async () => {
    const p = await parties();
    const key = randomUUID();
    const first = await pay(p, 1_000, 'pm_card_visa', key);
    const second = await pay(p, 1_000, 'pm_card_visa', key);
    expect(second).toBe(first);
    await finalPayment(first);
    expect((await snapshot(p))[p.payer]?.posted).toBe(100_000 - 1_000);
    if (operator) {
      const sfn = sfnClient();
      const { executions } = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: operator.stateMachineArn }),
      );
      expect((executions ?? []).filter((e) => e.name?.startsWith(first))).toHaveLength(1);
      sfn.destroy();
    }
  });

  it('refuses a payment without an Idempotency-Key (400)', async () => {
    const p = await parties(0);
    const reply = await request('POST', '/payments', {
      payerAccountId: p.payer,
      merchantAccountId: p.merchant,
      amount: 100,
      currency: CURRENCY,
      paymentMethod: 'pm_card_visa',
    });
    expect(reply.status).toBe(400);
    expect(reply.json.type).toBe('urn:ledgerline:problem:idempotency-key-required');
  });

  it('fails at ReserveFunds without compensations when the payer cannot pay', async () => {
    const p = await parties(500);
    const before = await snapshot(p);
    const payment = await expectCompensated(p, before, await pay(p, 1_000, 'pm_card_visa'));
    expect(payment.failure).toMatchObject({ failedStep: 'ReserveFunds', compensations: [] });
    expect(payment.failure.reason).toBe('insufficient-funds');
  });

  it('on a decline voids the reservation: balances are back', async () => {
    const p = await parties();
    const before = await snapshot(p);
    const payment = await expectCompensated(p, before, await pay(p, 5_000, 'pm_card_declined'));
    expect(payment.failure).toMatchObject({
      failedStep: 'CaptureAtProcessor',
      compensations: ['VoidReservation'],
    });
    expect(payment.failure.reason).toBe('payment-declined:card_declined');
    expect((await accountEvents(p.payer)).map((e) => e.type).slice(-2)).toEqual([
      'TransferPending',
      'PendingTransferVoided',
    ]);
  });

  it('on a risk rejection (over the tenant limit) voids the reservation, with the reason', async () => {
    const p = await parties(3_000_000);
    const before = await snapshot(p);
    const payment = await expectCompensated(p, before, await pay(p, 2_000_000, 'pm_card_visa'));
    expect(payment.risk).toEqual({ decision: 'rejected', reasons: ['amount-over-tenant-limit'] });
    expect(payment.failure).toMatchObject({ failedStep: 'AssessRisk', compensations: ['VoidReservation'] });
  });

  it('rides out transient processor errors (503, 503, then ok) and settles', async () => {
    const p = await parties();
    const payment = await finalPayment(await pay(p, 2_000, 'pm_card_transient'));
    expect(payment.status).toBe('settled');
  });

  it('when the merchant is frozen, the post fails: refund at the processor, void, balances back', async () => {
    const p = await parties();
    // Frozen before the saga reaches PostTransfer (reserve and capture never touch the merchant).
    expect((await request('POST', `/accounts/${p.merchant}/freeze`, { reason: 'kyc review' })).status).toBe(
      200,
    );
    const before = await snapshot(p);
    const payment = await expectCompensated(p, before, await pay(p, 4_000, 'pm_card_visa'));
    expect(payment.failure).toMatchObject({
      failedStep: 'PostTransfer',
      compensations: ['RefundAtProcessor', 'VoidReservation'],
    });
    expect(payment.failure.reason).toBe('account-frozen');
    expect(payment.captureRefund).toMatchObject({ outcome: 'refunded' });
  });

  it('when the capture times out, refunds what the processor may have captured and voids', async () => {
    const p = await parties();
    const before = await snapshot(p);
    const payment = await expectCompensated(p, before, await pay(p, 3_000, 'pm_card_timeout'));
    expect(payment.failure).toMatchObject({
      failedStep: 'CaptureAtProcessor',
      compensations: ['RefundAtProcessor', 'VoidReservation'],
    });
    expect(payment.failure.reason).toBe('processor-unavailable');
    expect(payment.captureRefund).toMatchObject({ outcome: 'refunded' });
  }, 90_000);

  it.runIf(operator !== null)(
    'when the compensating refund keeps failing, ends in CompensationFailed; the operator path completes it',
    async () => {
      const p = await parties();
      await request('POST', `/accounts/${p.merchant}/freeze`, { reason: 'kyc review' });
      const before = await snapshot(p);
      const id = await pay(p, 6_000, 'pm_card_refund_fails');
      const sfn = sfnClient();
      const stateMachineArn = operator?.stateMachineArn as string;
      const failed = await waitFor(
        async () => {
          const { executions } = await sfn.send(
            new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED' }),
          );
          return executions?.find((e) => e.name === id);
        },
        { timeoutMs: 150_000, intervalMs: 500, what: `execution ${id} failed` },
      );
      expect(failed.status).toBe('FAILED');
      // Captured, posted never: the money is held in the reservation, and the processor still has it.
      const stuck = await request('GET', `/payments/${id}`);
      expect(stuck.json).toMatchObject({ status: 'captured', captureRefund: null, reservationVoided: false });
      expect((await snapshot(p))[p.payer]).toEqual({ posted: before[p.payer]?.posted, pending: 6_000 });

      // The operator fixes the cause (here: the sandbox's refund outage ends), then resumes.
      const resolved = await fetch(`${operator?.processorUrl}v1/test_helpers/refund_outages/resolve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator?.processorSecret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reference: id }),
      });
      expect(resolved.status).toBe(200);
      const resumed = await resumeSaga({ client: sfn, stateMachineArn, paymentId: id, mode: 'compensate' });
      expect(resumed.status).toBe('SUCCEEDED');
      sfn.destroy();

      const payment = await expectCompensated(p, before, id);
      expect(payment.failure).toMatchObject({
        failedStep: 'PostTransfer',
        compensations: ['RefundAtProcessor', 'VoidReservation'],
      });
    },
    200_000,
  );

  it('refunds a settled payment in part, never above the captured amount', async () => {
    const p = await parties();
    // The merchant funds refunds; fees stay with the tenant.
    await request('POST', `/accounts/${p.merchant}/deposits`, { amount: 1_000, currency: CURRENCY });
    const id = await pay(p, 10_000, 'pm_card_visa');
    await finalPayment(id);
    const refund = (amount: number, key = randomUUID()) =>
      request('POST', `/payments/${id}/refunds`, { amount }, { 'Idempotency-Key': key });
    const first = await refund(4_000);
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    expect(first.json).toMatchObject({ paymentId: id, amount: 4_000, status: 'succeeded' });
    expect((await refund(6_000)).status).toBe(201);
    const tooMuch = await refund(1);
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.json.type).toBe('urn:ledgerline:problem:refund-exceeds-captured');
    expect((await snapshot(p))[p.payer]?.posted).toBe(100_000);
    const view = await waitFor(
      async () => {
        const reply = await request('GET', `/payments/${id}`);
        return reply.json.refundedAmount === 10_000 ? reply.json : undefined;
      },
      { what: 'refunds in the payment view' },
    );
    expect(view.refunds.map((r: { status: string }) => r.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('lists payments by status, newest first, with a cursor', async () => {
    const p = await parties();
    const ids = [await pay(p, 100, 'pm_card_declined'), await pay(p, 100, 'pm_card_declined')];
    for (const id of ids) await finalPayment(id);
    const firstPage = await request('GET', '/payments?status=failed&limit=1');
    expect(firstPage.status).toBe(200);
    expect(firstPage.json.data).toHaveLength(1);
    expect(firstPage.json.data[0].status).toBe('failed');
    expect(firstPage.json.nextCursor).toEqual(expect.any(String));
    const next = await request('GET', `/payments?status=failed&limit=1&cursor=${firstPage.json.nextCursor}`);
    expect(next.json.data[0].createdAt <= firstPage.json.data[0].createdAt).toBe(true);
    expect((await request('GET', '/payments/pay_unknown')).status).toBe(404);
  });
});
