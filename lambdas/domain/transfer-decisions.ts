/**
 * The transfer decisions: pure functions from a command and the states it touches (the transfer and
 * both accounts) to the transfer events to record, or a rejection (a thrown LedgerError).
 */
import { type AccountState, assertOpen, availableBalance, existingAccount } from './account.ts';
import { assertWithinCeiling } from './ceilings.ts';
import {
  CreditsExceedDebitsError,
  CurrencyMismatchError,
  differingField,
  InsufficientFundsError,
  LedgerError,
  PendingTransferExpiredError,
  PostAmountExceedsPendingError,
  SameAccountError,
  TransferAlreadyResolvedError,
  TransferExistsWithDifferentFieldsError,
  TransferNotFoundError,
} from './errors.ts';
import type { TransferEvent, TransferLegs, TransferPurpose } from './events.ts';
import { addMinor, assertPositiveAmount, currency as parseCurrency } from './money.ts';
import type { TransferState } from './transfer.ts';

/** Open a transfer: posted at once, or reserved (pending) until it is posted, voided or expires. */
export interface OpenTransferCommand {
  /** The client's id: retrying with the same id and fields returns the first result. */
  readonly transferId: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: number;
  readonly currency: string;
  readonly pending: boolean;
  /** For a pending transfer: it expires this many seconds after `now`. */
  readonly timeoutSeconds?: number | undefined;
  readonly reference: string | null;
  readonly purpose: TransferPurpose;
  /** The command's time. */
  readonly now: Date;
  /**
   * A fact from outside: money the processor already moved (a dispute's hold, a chargeback, a completed
   * refund). It is booked whatever the accounts' status and limits, so an account may go below its
   * limit; the event says `fact: true` and names the rules it broke in `overrode` (the projector raises
   * the alarm on those). Only processor facts set it.
   */
  readonly fact?: boolean;
  /** The most a new transfer of this tenant may move (a fact is booked whatever its amount). */
  readonly ceiling?: number;
}

/** The states a transfer decision reads. */
export interface TransferGiven {
  readonly transfer: TransferState | null;
  readonly debit: AccountState | null;
  readonly credit: AccountState | null;
}

/** What can be rejected before anything is loaded: currency, amount, the same account twice. */
export function validateTransfer(command: OpenTransferCommand): void {
  parseCurrency(command.currency);
  assertPositiveAmount(command.amount);
  if (command.debitAccountId === command.creditAccountId) throw new SameAccountError(command.debitAccountId);
}

/** The fields a retried transfer must repeat, in the order they are compared. */
const TRANSFER_FIELDS = [
  'purpose',
  'debitAccountId',
  'creditAccountId',
  'amount',
  'currency',
  'pending',
  'reference',
] as const;

/**
 * Decides a new transfer. A transfer with this id and the same fields is already done (no events);
 * with other fields it is rejected, naming the first field that differs. Limits are checked when
 * funds are reserved (or posted at once), never when a reservation is posted.
 */
export function decideOpenTransfer(command: OpenTransferCommand, given: TransferGiven): TransferEvent[] {
  validateTransfer(command);
  if (given.transfer) {
    const existing = { ...given.transfer, pending: given.transfer.twoPhase };
    const field = differingField(existing, command, TRANSFER_FIELDS);
    if (field !== undefined) throw new TransferExistsWithDifferentFieldsError(command.transferId, field);
    return [];
  }
  if (!command.fact && command.ceiling !== undefined) assertWithinCeiling(command.amount, command.ceiling);
  const debit = existingAccount(given.debit, command.debitAccountId);
  const credit = existingAccount(given.credit, command.creditAccountId);
  for (const account of [debit, credit]) {
    if (account.currency !== command.currency) {
      throw new CurrencyMismatchError(account.id, account.currency, command.currency);
    }
  }
  const fact = factMark(command.fact, [
    () => assertOpen(debit),
    () => assertOpen(credit),
    () => assertWithinLimits(debit, credit, command.amount),
  ]);
  const legs: TransferLegs = {
    transferId: command.transferId,
    debitAccountId: debit.id,
    creditAccountId: credit.id,
    currency: command.currency,
  };
  const { amount, purpose, reference } = command;
  if (!command.pending) {
    return [{ type: 'TransferPosted', payload: { ...legs, amount, purpose, reference, ...fact } }];
  }
  const expiresAt = expiry(command.now, command.timeoutSeconds);
  return [{ type: 'TransferPending', payload: { ...legs, amount, purpose, reference, expiresAt, ...fact } }];
}

/** What a fact's event carries: `fact: true`, and the codes of the rules it was booked over. */
export type FactMark = { readonly fact?: true; readonly overrode?: readonly string[] };

/**
 * Runs the rules a transfer must pass. A normal command is refused by the first that fails; a fact from
 * outside is booked anyway, and its event names every rule it broke (`overrode`), so the break is
 * visible and alarmed, never silent.
 */
function factMark(fact: boolean | undefined, rules: readonly (() => void)[]): FactMark {
  if (!fact) {
    for (const rule of rules) rule();
    return {};
  }
  const overrode: string[] = [];
  for (const rule of rules) {
    try {
      rule();
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      if (!overrode.includes(error.code)) overrode.push(error.code);
    }
  }
  return overrode.length > 0 ? { fact: true, overrode } : { fact: true };
}

function expiry(now: Date, timeoutSeconds: number | undefined): string | null {
  if (timeoutSeconds === undefined) return null;
  assertPositiveAmount(timeoutSeconds, 'timeoutSeconds');
  return new Date(now.getTime() + timeoutSeconds * 1000).toISOString();
}

function assertWithinLimits(debit: AccountState, credit: AccountState, amount: number): void {
  const debits = addMinor(addMinor(debit.debitsPending, debit.debitsPosted), amount);
  if (debit.flags.debitsMustNotExceedCredits && debits > debit.creditsPosted) {
    throw new InsufficientFundsError(debit.id, Math.max(0, availableBalance(debit)), amount);
  }
  const credits = addMinor(addMinor(credit.creditsPending, credit.creditsPosted), amount);
  if (credit.flags.creditsMustNotExceedDebits && credits > credit.debitsPosted) {
    throw new CreditsExceedDebitsError(credit.id);
  }
}

/** Decides how a pending transfer is resolved: the event to record (post or void). */
export type ResolveDecision = (pending: TransferState, accounts: readonly AccountState[]) => TransferEvent;

/**
 * Posting a reservation, in full or in part (`amount` ≤ the reserved amount); both accounts must be open,
 * unless it is a fact from outside (a lost dispute's chargeback: see `OpenTransferCommand.fact`).
 */
export function postDecision(amount?: number, options: { readonly fact?: boolean } = {}): ResolveDecision {
  return (pending, accounts) => {
    const posted = assertPositiveAmount(amount ?? pending.amount);
    if (posted > pending.amount) throw new PostAmountExceedsPendingError(pending.id, pending.amount, posted);
    const fact = factMark(
      options.fact,
      accounts.map((account) => () => assertOpen(account)),
    );
    return {
      type: 'PendingTransferPosted',
      payload: { ...legsOf(pending), pendingAmount: pending.amount, amount: posted, ...fact },
    };
  };
}

/** Voiding a reservation: allowed on frozen accounts, so frozen funds can still be released. */
export const voidDecision: ResolveDecision = (pending) => ({
  type: 'PendingTransferVoided',
  payload: { ...legsOf(pending), pendingAmount: pending.amount },
});

/** Only expiry may resolve it (a sweeper): a reservation not yet due stays pending. */
export const expireOnlyDecision: ResolveDecision = (pending) => {
  throw new TransferAlreadyResolvedError(pending.id, 'pending (not yet expired)');
};

function legsOf(t: TransferState): TransferLegs {
  return {
    transferId: t.id,
    debitAccountId: t.debitAccountId,
    creditAccountId: t.creditAccountId,
    currency: t.currency,
  };
}

/** The transfer to resolve: it must exist and still be pending. */
export function pendingTransfer(transferId: string, state: TransferState | null): TransferState {
  if (!state) throw new TransferNotFoundError(transferId);
  if (state.status !== 'pending') throw new TransferAlreadyResolvedError(transferId, state.status);
  return state;
}

/** A resolution's event, and whether the reservation had passed its expiry (then it expires instead). */
export interface ResolutionDecision {
  readonly event: TransferEvent;
  readonly expired: boolean;
}

/** Decides the resolution of a pending transfer; a reservation past its expiry is expired instead. */
export function decideResolution(
  given: TransferGiven & { readonly now: Date },
  transferId: string,
  decide: ResolveDecision,
): ResolutionDecision {
  const pending = pendingTransfer(transferId, given.transfer);
  const accounts = [
    existingAccount(given.debit, pending.debitAccountId),
    existingAccount(given.credit, pending.creditAccountId),
  ];
  const expired = pending.expiresAt !== null && given.now.getTime() >= Date.parse(pending.expiresAt);
  if (expired) {
    return {
      event: {
        type: 'PendingTransferExpired',
        payload: { ...legsOf(pending), pendingAmount: pending.amount },
      },
      expired,
    };
  }
  return { event: decide(pending, accounts), expired };
}

/** The resolved transfer, or PendingTransferExpiredError when it had expired instead. */
export function unlessExpired(outcome: {
  readonly transfer: TransferState;
  readonly expired: boolean;
}): TransferState {
  const { transfer, expired } = outcome;
  if (expired) throw new PendingTransferExpiredError(transfer.id, transfer.expiresAt ?? '');
  return transfer;
}
