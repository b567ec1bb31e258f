/** The ledger operations as model-based commands: each checks the API's answer and balances against the model. */
import fc from 'fast-check';
import { type Answer, type ChaosClient, type Json, problemCode } from './client.ts';
import {
  applyOpenTransfer,
  applyResolution,
  balancesOf,
  type Currency,
  type Expected,
  expectOpenTransfer,
  expectPost,
  expectStatusChange,
  expectVoid,
  type Kind,
  type Model,
  type ModelAccount,
  type Party,
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
  /**
   * Serial mode: the client settles the stack after every answer, so an asynchronous outcome (a payment, a
   * processor event) is read once instead of polled; the processor's `created` counts operations.
   */
  readonly serial?: boolean;
  /** Serial mode: run after each operation (fires the schedules now and then, cuts the fault log). */
  readonly afterOperation?: () => Promise<void>;
}

/** The API answered differently from the model: the run stops, the seed is printed. */
export class ModelMismatch extends Error {
  override readonly name = 'ModelMismatch';
}

export const next = (r: Real, name: string) => {
  r.ops++;
  r.byName[name] = (r.byName[name] ?? 0) + 1;
  return `${r.runId}-${r.ops}`;
};

export function expectAnswer(what: string, answer: Answer, expected: Expected, okStatus: number): void {
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

export const pick = <T>(list: readonly T[], index: number): T | undefined =>
  list.length === 0 ? undefined : list[index % list.length];

/** The element at `index` (wrapping); the commands' preconditions make sure there is one. */
export function one<T>(list: readonly T[], index: number): T {
  const found = pick(list, index);
  if (found === undefined) throw new Error('a precondition let an operation run with nothing to act on');
  return found;
}

export const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const otherCurrency = (c: Currency): Currency => (c === 'USD' ? 'EUR' : 'USD');

export const amountArb = fc.integer({ min: 1, max: 5_000 });
export const indexArb = fc.nat({ max: 1_000 });

export type Cmd = fc.AsyncCommand<Model, Real>;

/** A command from a name, a precondition and a body (the model is updated only by a matching answer). */
export function command(
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
        await r.afterOperation?.();
      } finally {
        const ms = Date.now() - started;
        r.msByName[name] = (r.msByName[name] ?? 0) + ms;
        r.trace?.(`#${r.ops} ${label()} ${ms} ms`);
      }
    },
    toString: label,
  };
}

export function openAccount(kind: Kind, currency: Currency): Cmd {
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

export function moneyMovement(
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

export function transfer(from: number, to: number, amount: number, pending: boolean): Cmd {
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

export function resolve(index: number, how: 'post' | 'void', partial: number | null): Cmd {
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

export function statusChange(index: number, to: 'open' | 'frozen'): Cmd {
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
