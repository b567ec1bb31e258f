import fc from 'fast-check';
import { type Answer, type ChaosClient, type Json, problemCode } from './client.ts';
import {
  applyDispute,
  applyOpenTransfer,
  applyRefund,
  applyResolution,
  applySettled,
  balancesOf,
  CURRENCIES,
  type Currency,
  type Expected,
  expectOpenTransfer,
  expectPayment,
  expectPost,
  expectRefund,
  expectStatusChange,
  expectVoid,
  feeOf,
  type Kind,
  MAX_PAYMENTS_PER_PAYER,
  type Model,
  type ModelAccount,
  type ModelDispute,
  type Party,
  PROCESSOR_FAILURES,
} from './model.ts';

/** Far enough ahead that `?asOf=` replays every event: the write side, strongly consistent. */
export const LATEST = '9999-12-31T23:59:59Z';

/** The system under test as the commands reach it. */
export interface Real {
  readonly client: ChaosClient;
  readonly tenantId: string;
  readonly webhookSecret: string;
  /** Prefix of every Idempotency-Key and client-chosen id of this run (from the seed). */
  readonly runId: string;
  /** Chaos on: processor faults may fail a payment the model expected to settle. */
  readonly chaos: boolean;
  /** Operations run so far (also numbers keys and ids). */
  ops: number;
  /** Processor event ids sent (the SQS invariant looks for each one). */
  readonly webhookIds: string[];
  /** Executed operations by name. */
  readonly byName: Record<string, number>;
  /** Milliseconds spent per operation name (settling waits included). */
  readonly msByName: Record<string, number>;
  /** Called after each operation (CHAOS_VERBOSE=1 prints them). */
  readonly trace?: (line: string) => void;
}

/** The API answered differently from the model: the run stops, the seed is printed. */
export class ModelMismatch extends Error {
  override readonly name = 'ModelMismatch';
}

const next = (r: Real, name: string) => {
  r.ops++;
  r.byName[name] = (r.byName[name] ?? 0) + 1;
  return `${r.runId}-${r.ops}`;
};

function expectAnswer(what: string, answer: Answer, expected: Expected, okStatus: number): void {
  const got = answer.status === okStatus ? 'ok' : `${answer.status} ${problemCode(answer) ?? ''}`;
  const want = expected.ok ? 'ok' : `422 ${expected.code}`;
  if (got.trim() !== want) {
    throw new ModelMismatch(`${what}: expected ${want}, got ${got}: ${JSON.stringify(answer.json)}`);
  }
}

/** The account's balances on the write side (the event store) must equal the model's. */
export async function expectBalances(r: Real, account: ModelAccount, what: string): Promise<void> {
  const answer = await r.client.get(`/accounts/${account.id}?asOf=${LATEST}`);
  const got = answer.json.balances;
  const want = balancesOf(account);
  const same = isJson(got) && Object.entries(want).every(([k, v]) => got[k] === v);
  if (!same) {
    throw new ModelMismatch(
      `${what}: balances of ${account.id}: model ${JSON.stringify(want)}, event store ${JSON.stringify(got)}`,
    );
  }
}

const pick = <T>(list: readonly T[], index: number): T | undefined =>
  list.length === 0 ? undefined : list[index % list.length];

/** The element at `index` (wrapping); the commands' preconditions make sure there is one. */
function one<T>(list: readonly T[], index: number): T {
  const found = pick(list, index);
  if (found === undefined) throw new Error('a precondition let an operation run with nothing to act on');
  return found;
}

const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const otherCurrency = (c: Currency): Currency => (c === 'USD' ? 'EUR' : 'USD');

const amountArb = fc.integer({ min: 1, max: 5_000 });
const indexArb = fc.nat({ max: 1_000 });

type Cmd = fc.AsyncCommand<Model, Real>;

/** A command from a name, a precondition and a body (the model is updated only by a matching answer). */
function command(
  name: string,
  label: () => string,
  check: (m: Readonly<Model>) => boolean,
  run: (m: Model, r: Real, key: string) => Promise<void>,
): Cmd {
  return {
    check: (m) => m.executed < m.budget && check(m),
    run: async (m, r) => {
      m.executed++;
      const started = Date.now();
      try {
        await run(m, r, next(r, name));
      } finally {
        const ms = Date.now() - started;
        r.msByName[name] = (r.msByName[name] ?? 0) + ms;
        r.trace?.(`#${r.ops} ${label()} ${ms} ms`);
      }
    },
    toString: label,
  };
}

function openAccount(kind: Kind, currency: Currency): Cmd {
  return command(
    'open',
    () => `open(${kind},${currency})`,
    () => true,
    async (m, r, key) => {
      const answer = await r.client.command('/accounts', { currency, kind }, key);
      expectAnswer(`open ${kind}`, answer, { ok: true }, 201);
      m.accounts.push({
        id: String(answer.json.id),
        currency,
        kind,
        status: 'open',
        debitsPending: 0,
        debitsPosted: 0,
        creditsPending: 0,
        creditsPosted: 0,
      });
    },
  );
}

function moneyMovement(
  kind: 'deposit' | 'withdrawal',
  index: number,
  amount: number,
  mismatch: boolean,
): Cmd {
  return command(
    kind,
    () => `${kind}(#${index},${amount}${mismatch ? ',other currency' : ''})`,
    (m) => m.accounts.length > 0,
    async (m, r, key) => {
      const account = one(m.accounts, index);
      const currency = mismatch ? otherCurrency(account.currency) : account.currency;
      const system: Party = { system: currency };
      const [debit, credit] = kind === 'deposit' ? [system, account] : [account, system];
      const expected = expectOpenTransfer(debit, credit, amount, currency);
      const path = `/accounts/${account.id}/${kind === 'deposit' ? 'deposits' : 'withdrawals'}`;
      const answer = await r.client.command(path, { amount, currency }, key);
      expectAnswer(`${kind} ${amount} ${currency} on ${account.id}`, answer, expected, 201);
      if (expected.ok) {
        const id = String(answer.json.id);
        const [d, c] =
          kind === 'deposit'
            ? [`settlement-${currency}`, account.id]
            : [account.id, `settlement-${currency}`];
        applyOpenTransfer(m, {
          id,
          debit: d,
          credit: c,
          amount,
          twoPhase: false,
          status: 'posted',
          postedAmount: amount,
        });
      }
      await expectBalances(r, account, `after ${kind}`);
    },
  );
}

function transfer(from: number, to: number, amount: number, pending: boolean): Cmd {
  return command(
    pending ? 'reserve' : 'transfer',
    () => `transfer(#${from}→#${to},${amount}${pending ? ',pending' : ''})`,
    (m) => m.accounts.length > 1,
    async (m, r, key) => {
      const debit = one(m.accounts, from);
      let credit = one(m.accounts, to);
      if (credit === debit) credit = one(m.accounts, to + 1);
      const currency = debit.currency;
      const expected = expectOpenTransfer(debit, credit, amount, currency);
      const id = `t_${key}`;
      const body = { id, debitAccountId: debit.id, creditAccountId: credit.id, amount, currency, pending };
      const answer = await r.client.command('/transfers', body, key);
      expectAnswer(`transfer ${id}`, answer, expected, 201);
      if (expected.ok) {
        const status = pending ? 'pending' : 'posted';
        if (answer.json.status !== status)
          throw new ModelMismatch(`transfer ${id}: status ${String(answer.json.status)}`);
        applyOpenTransfer(m, {
          id,
          debit: debit.id,
          credit: credit.id,
          amount,
          twoPhase: pending,
          status,
          postedAmount: pending ? 0 : amount,
        });
      }
      await expectBalances(r, debit, `after transfer ${id}`);
      await expectBalances(r, credit, `after transfer ${id}`);
    },
  );
}

function resolve(index: number, how: 'post' | 'void', partial: number | null): Cmd {
  return command(
    how,
    () => `${how}(#${index}${partial ? `,${partial}` : ''})`,
    (m) => m.transfers.length > 0,
    async (m, r, key) => {
      // Mostly pending ones; sometimes a resolved one, which must be refused.
      const pendings = m.transfers.filter((t) => t.status === 'pending');
      const t = pick(index % 5 === 0 || pendings.length === 0 ? m.transfers : pendings, index);
      if (!t) return;
      const amount = partial === null ? undefined : Math.min(partial, t.amount + (index % 7 === 0 ? 1 : 0));
      const expected = how === 'post' ? expectPost(m, t, amount) : expectVoid(t);
      const body = how === 'post' && amount !== undefined ? { amount } : {};
      const answer = await r.client.command(`/transfers/${t.id}/${how}`, body, key);
      r.trace?.(
        `  ${how} ${t.id} (${t.status}, ${t.amount}) amount ${amount}: ${answer.status} ${JSON.stringify(answer.json).slice(0, 300)}`,
      );
      expectAnswer(`${how} ${t.id}`, answer, expected, 200);
      if (expected.ok) applyResolution(m, t, how === 'post' ? 'posted' : 'voided', amount);
      for (const id of [t.debit, t.credit]) {
        const a = m.accounts.find((x) => x.id === id);
        if (a) await expectBalances(r, a, `after ${how} ${t.id}`);
      }
    },
  );
}

function statusChange(index: number, to: 'open' | 'frozen'): Cmd {
  const action = to === 'frozen' ? 'freeze' : 'unfreeze';
  return command(
    action,
    () => `${action}(#${index})`,
    (m) => m.accounts.length > 0,
    async (m, r, key) => {
      const a = one(m.accounts, index);
      const expected = expectStatusChange(a, to);
      const body = to === 'frozen' ? { reason: 'chaos run' } : undefined;
      const answer = await r.client.command(`/accounts/${a.id}/${action}`, body, key);
      expectAnswer(`${action} ${a.id}`, answer, expected, 200);
      if (expected.ok) a.status = to;
    },
  );
}

/** Polls `probe` until it returns a value, or gives up after `timeoutMs` (undefined). */
async function poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** How long a payment may take to reach a terminal state (the saga retries the processor with backoff). */
const PAYMENT_DEADLINE_MS = 120_000;

function payment(payerIndex: number, merchantIndex: number, amount: number): Cmd {
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
      const final = await poll(async () => {
        const view = await r.client.get(`/payments/${id}`);
        return view.json.status === 'settled' || view.json.status === 'failed' ? view.json : undefined;
      }, PAYMENT_DEADLINE_MS);
      if (!final)
        throw new ModelMismatch(`payment ${id} not settled or failed within ${PAYMENT_DEADLINE_MS} ms`);
      const reason = isJson(final.failure) ? String(final.failure.reason) : '';
      const fee = feeOf(amount);
      const settled = final.status === 'settled';
      const explained =
        (expected.ok && (settled || (r.chaos && PROCESSOR_FAILURES.test(reason)))) ||
        (!expected.ok && !settled && reason === expected.code);
      if (!explained) {
        throw new ModelMismatch(
          `payment ${id}: expected ${expected.ok ? 'settled' : `failed (${expected.code})`}, got ${JSON.stringify(final)}`,
        );
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

function refund(index: number, amount: number): Cmd {
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

/** The merchant's balances reach the model's within `timeoutMs` (a processor event is applied asynchronously). */
async function awaitBalances(r: Real, account: ModelAccount, what: string): Promise<void> {
  const reached = await poll(async () => {
    try {
      await expectBalances(r, account, what);
      return true;
    } catch {
      return undefined;
    }
  }, 60_000);
  if (!reached) await expectBalances(r, account, `${what} (after 60 s)`);
}

function disputeEvent(r: Real, d: ModelDispute, type: string, currency: Currency, key: string): Json {
  const id = `evt_${key}`;
  r.webhookIds.push(id);
  return {
    id,
    type,
    created: Math.floor(Date.now() / 1000),
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

function openDispute(index: number, amount: number): Cmd {
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

function closeDispute(index: number, outcome: 'won' | 'lost'): Cmd {
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

const currencyArb = fc.constantFrom(...CURRENCIES);

/** Every operation, weighted: money moves most, lifecycle changes and disputes now and then. */
export function allCommands(): fc.Arbitrary<Cmd>[] {
  return [
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.constantFrom<Kind>('customer', 'customer', 'merchant'), currencyArb)
          .map(([k, c]) => openAccount(k, c)),
      },
      {
        weight: 5,
        arbitrary: fc
          .tuple(indexArb, fc.integer({ min: 1, max: 20_000 }), fc.boolean())
          .map(([i, a, x]) => moneyMovement('deposit', i, a, x && i % 10 === 0)),
      },
      {
        weight: 3,
        arbitrary: fc.tuple(indexArb, amountArb).map(([i, a]) => moneyMovement('withdrawal', i, a, false)),
      },
      {
        weight: 6,
        arbitrary: fc
          .tuple(indexArb, indexArb, amountArb, fc.boolean())
          .map(([f, t, a, p]) => transfer(f, t, a, p)),
      },
      {
        weight: 3,
        arbitrary: fc
          .tuple(indexArb, fc.option(amountArb, { nil: null }))
          .map(([i, a]) => resolve(i, 'post', a)),
      },
      { weight: 2, arbitrary: indexArb.map((i) => resolve(i, 'void', null)) },
      { weight: 2, arbitrary: fc.tuple(indexArb, indexArb, amountArb).map(([p, q, a]) => payment(p, q, a)) },
      { weight: 1, arbitrary: fc.tuple(indexArb, amountArb).map(([i, a]) => refund(i, a)) },
      { weight: 1, arbitrary: fc.tuple(indexArb, amountArb).map(([i, a]) => openDispute(i, a)) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(indexArb, fc.constantFrom<'won' | 'lost'>('won', 'lost'))
          .map(([i, o]) => closeDispute(i, o)),
      },
      { weight: 1, arbitrary: indexArb.map((i) => statusChange(i, 'frozen')) },
      { weight: 1, arbitrary: indexArb.map((i) => statusChange(i, 'open')) },
    ),
  ];
}
