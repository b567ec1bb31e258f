/**
 * The pure model the chaos run checks the API against: client accounts with their four balances, transfers,
 * payments and disputes, and what each operation must answer (a status, or a problem code when refused).
 */

export type Kind = 'customer' | 'merchant';
export type Currency = 'USD' | 'EUR';
export const CURRENCIES: readonly Currency[] = ['USD', 'EUR'];

export interface Balances {
  debitsPending: number;
  debitsPosted: number;
  creditsPending: number;
  creditsPosted: number;
}

export interface ModelAccount extends Balances {
  readonly id: string;
  readonly currency: Currency;
  readonly kind: Kind;
  status: 'open' | 'frozen';
}

export interface ModelTransfer {
  readonly id: string;
  readonly debit: string;
  readonly credit: string;
  readonly amount: number;
  /** Opened as a reservation (pending). */
  readonly twoPhase: boolean;
  status: 'pending' | 'posted' | 'voided';
  postedAmount: number;
}

export interface ModelPayment {
  readonly id: string;
  readonly payer: string;
  readonly merchant: string;
  readonly amount: number;
  readonly fee: number;
  status: 'settled' | 'failed';
  refunded: number;
}

export interface ModelDispute {
  readonly id: string;
  readonly merchant: string;
  readonly amount: number;
  status: 'open' | 'won' | 'lost';
}

export interface Model {
  readonly accounts: ModelAccount[];
  readonly transfers: ModelTransfer[];
  readonly payments: ModelPayment[];
  readonly disputes: ModelDispute[];
  /** Payments per payer (the risk rule refuses more than 20 in ten minutes: the run stays below). */
  readonly paymentsByPayer: Map<string, number>;
  /** Operations run, and how many the run may run (commands past the budget are skipped). */
  executed: number;
  readonly budget: number;
}

export const emptyModel = (budget = Number.POSITIVE_INFINITY): Model => ({
  executed: 0,
  budget,
  accounts: [],
  transfers: [],
  payments: [],
  disputes: [],
  paymentsByPayer: new Map(),
});

/** The tenant's fee on a payment (290 basis points, rounded down), as the stack is configured. */
export const FEE_BPS = 290;
export const feeOf = (amount: number) => Math.floor((amount * FEE_BPS) / 10_000);
export const MAX_PAYMENTS_PER_PAYER = 20;

/** What an operation must answer: a success status, or a refusal with its problem code. */
export type Expected = { readonly ok: true } | { readonly ok: false; readonly code: string };
const OK: Expected = { ok: true };
const refused = (code: string): Expected => ({ ok: false, code });

export const available = (a: Balances) => a.creditsPosted - a.debitsPosted - a.debitsPending;

/** A party to a transfer: a client account, or the tenant's (system) settlement account. */
export type Party = ModelAccount | { readonly system: Currency };

function currencyProblem(party: Party, currency: Currency): string | null {
  const held = 'system' in party ? party.system : party.currency;
  return held === currency ? null : 'currency-mismatch';
}

function partyProblem(party: Party, currency: Currency): string | null {
  if ('system' in party) return party.system === currency ? null : 'currency-mismatch';
  if (party.currency !== currency) return 'currency-mismatch';
  if (party.status === 'frozen') return 'account-frozen';
  return null;
}

/** A new transfer (deposits and withdrawals included): the ledger's checks, in the ledger's order. */
export function expectOpenTransfer(
  debit: Party,
  credit: Party,
  amount: number,
  currency: Currency,
): Expected {
  // Both currencies first, then both statuses: the ledger's order (found by seed 5: a transfer from a frozen
  // account to one in another currency is a currency mismatch).
  for (const check of [currencyProblem, partyProblem])
    for (const party of [debit, credit]) {
      const problem = check(party, currency);
      if (problem) return refused(problem);
    }
  if (!('system' in debit) && debit.debitsPending + debit.debitsPosted + amount > debit.creditsPosted) {
    return refused('insufficient-funds');
  }
  return OK;
}

function account(model: Model, id: string): ModelAccount | undefined {
  return model.accounts.find((a) => a.id === id);
}

/** Books a new transfer on the model's client accounts. */
export function applyOpenTransfer(model: Model, t: ModelTransfer, options: { readonly fact?: boolean } = {}) {
  const debit = account(model, t.debit);
  const credit = account(model, t.credit);
  const pending = t.status === 'pending';
  if (debit) {
    if (pending) debit.debitsPending += t.amount;
    else debit.debitsPosted += t.amount;
  }
  if (credit) {
    if (pending) credit.creditsPending += t.amount;
    else credit.creditsPosted += t.amount;
  }
  if (!options.fact) model.transfers.push(t);
}

/** A post or void that finds the transfer already resolved as it asks answers as the first time did. */
export function isOwnResolution(t: ModelTransfer, how: 'post' | 'void', amount?: number): boolean {
  if (!t.twoPhase) return false;
  if (how === 'void') return t.status === 'voided';
  return t.status === 'posted' && t.postedAmount === (amount ?? t.amount);
}

export function expectPost(model: Model, t: ModelTransfer, amount: number | undefined): Expected {
  if (isOwnResolution(t, 'post', amount)) return OK;
  if (t.status !== 'pending') return refused('transfer-already-resolved');
  if ((amount ?? t.amount) > t.amount) return refused('post-amount-exceeds-pending');
  for (const id of [t.debit, t.credit])
    if (account(model, id)?.status === 'frozen') return refused('account-frozen');
  return OK;
}

export function applyResolution(
  model: Model,
  t: ModelTransfer,
  outcome: 'posted' | 'voided',
  amount?: number,
) {
  // A post or void that found its own resolution already there moved nothing.
  if (t.status !== 'pending') return;
  const debit = account(model, t.debit);
  const credit = account(model, t.credit);
  const posted = outcome === 'posted' ? (amount ?? t.amount) : 0;
  if (debit) {
    debit.debitsPending -= t.amount;
    debit.debitsPosted += posted;
  }
  if (credit) {
    credit.creditsPending -= t.amount;
    credit.creditsPosted += posted;
  }
  t.status = outcome;
  t.postedAmount = posted;
}

export function expectVoid(t: ModelTransfer): Expected {
  return t.status === 'pending' || isOwnResolution(t, 'void') ? OK : refused('transfer-already-resolved');
}

export function expectStatusChange(a: ModelAccount, to: 'open' | 'frozen'): Expected {
  return a.status === to ? refused('invalid-status-transition') : OK;
}

/**
 * How a payment with a card the sandbox accepts must end: settled, or failed at a named step (payer
 * frozen or short at ReserveFunds, merchant frozen at PostTransfer). A fault at the processor (a decline,
 * an outage) may fail it too; the run accepts that and checks the books still follow the outcome.
 */
export function expectPayment(payer: ModelAccount, merchant: ModelAccount, amount: number): Expected {
  if (payer.status === 'frozen') return refused('account-frozen');
  if (available(payer) < amount) return refused('insufficient-funds');
  if (merchant.status === 'frozen') return refused('account-frozen');
  return OK;
}

/**
 * Payment failures that injected faults explain: the processor's (a decline, an outage), and a saga task that
 * failed on a fault its Retry does not name (`internal-error`: a crashed function, see the README). The books
 * must then follow the failure, compensations complete (the payments-terminal invariant).
 */
export const FAULT_FAILURES =
  /^(payment-declined|processor-unavailable|internal-error|ledger-unavailable|timeout)/;

export function applySettled(model: Model, p: ModelPayment) {
  const payer = account(model, p.payer);
  const merchant = account(model, p.merchant);
  if (payer) payer.debitsPosted += p.amount;
  if (merchant) merchant.creditsPosted += p.amount - p.fee;
}

export function expectRefund(model: Model, p: ModelPayment, amount: number): Expected {
  if (p.status !== 'settled') return refused('payment-not-refundable');
  if (amount > p.amount - p.refunded) return refused('refund-exceeds-captured');
  const merchant = account(model, p.merchant);
  if (!merchant) return OK;
  if (merchant.status === 'frozen') return refused('account-frozen');
  if (merchant.debitsPending + merchant.debitsPosted + amount > merchant.creditsPosted) {
    return refused('insufficient-funds');
  }
  return OK;
}

export function applyRefund(model: Model, p: ModelPayment, amount: number) {
  const payer = account(model, p.payer);
  const merchant = account(model, p.merchant);
  if (merchant) merchant.debitsPosted += amount;
  if (payer) payer.creditsPosted += amount;
  p.refunded += amount;
}

/** A dispute's hold, chargeback or release: facts from the processor, booked whatever the merchant's state. */
export function applyDispute(model: Model, d: ModelDispute, to: ModelDispute['status']) {
  const merchant = account(model, d.merchant);
  if (merchant) {
    if (to === 'open') merchant.debitsPending += d.amount;
    else merchant.debitsPending -= d.amount;
    if (to === 'lost') merchant.debitsPosted += d.amount;
  }
  d.status = to;
}

/** The balances of an account as the API shows them, for comparison with the model. */
export function balancesOf(a: Balances): Balances {
  return {
    debitsPending: a.debitsPending,
    debitsPosted: a.debitsPosted,
    creditsPending: a.creditsPending,
    creditsPosted: a.creditsPosted,
  };
}
