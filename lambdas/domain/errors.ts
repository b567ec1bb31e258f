type Details = Readonly<Record<string, string | number>>;

/**
 * What kind of failure a domain error is; the HTTP status and the saga's retry policy follow from it.
 * `not-found`: the named thing does not exist (404). `rejected`: a rule said no, final for this input
 * (422). `conflict`: another writer moved first; the same command may succeed when retried (409).
 */
export type ErrorKind = 'not-found' | 'rejected' | 'conflict';

/** Base of every ledger rule violation; `code` is stable and `details` are safe to show the caller. */
export abstract class LedgerError extends Error {
  /** Decides the HTTP status (404 or 422) and that the saga never retries it. */
  abstract readonly kind: Exclude<ErrorKind, 'conflict'>;
  /** A stable machine-readable code, used as the last segment of the problem+json `type`. */
  abstract readonly code: string;
  /** Fields that help the caller (e.g. `available` on insufficient funds). */
  readonly details: Details;
  constructor(message: string, details: Details = {}, options?: ErrorOptions) {
    super(message, options);
    this.details = details;
  }
}

export class UnknownCurrencyError extends LedgerError {
  override readonly name = 'UnknownCurrencyError';
  readonly kind = 'rejected' as const;
  readonly code = 'unknown-currency';
  constructor(currency: string, options?: ErrorOptions) {
    super(`Unknown ISO 4217 currency '${currency}'`, { currency }, options);
  }
}

export class InvalidAmountError extends LedgerError {
  override readonly name = 'InvalidAmountError';
  readonly kind = 'rejected' as const;
  readonly code = 'invalid-amount';
  constructor(field: string, amount: unknown, options?: ErrorOptions) {
    super(
      `'${field}' must be a positive integer number of minor units, got ${String(amount)}`,
      { field },
      options,
    );
  }
}

export class AmountOverflowError extends LedgerError {
  override readonly name = 'AmountOverflowError';
  readonly kind = 'rejected' as const;
  readonly code = 'amount-overflow';
  constructor(left: number, right: number, options?: ErrorOptions) {
    super(`Amount arithmetic overflowed the safe integer range (${left} + ${right})`, {}, options);
  }
}

export class CurrencyMismatchError extends LedgerError {
  override readonly name = 'CurrencyMismatchError';
  readonly kind = 'rejected' as const;
  readonly code = 'currency-mismatch';
  constructor(accountId: string, accountCurrency: string, currency: string, options?: ErrorOptions) {
    super(
      `Account ${accountId} holds ${accountCurrency}, not ${currency}`,
      { accountId, accountCurrency, currency },
      options,
    );
  }
}

export class AccountNotFoundError extends LedgerError {
  override readonly name = 'AccountNotFoundError';
  readonly kind = 'not-found' as const;
  readonly code = 'account-not-found';
  constructor(accountId: string, options?: ErrorOptions) {
    super(`Account ${accountId} does not exist`, { accountId }, options);
  }
}

export class TransferNotFoundError extends LedgerError {
  override readonly name = 'TransferNotFoundError';
  readonly kind = 'not-found' as const;
  readonly code = 'transfer-not-found';
  constructor(transferId: string, options?: ErrorOptions) {
    super(`Transfer ${transferId} does not exist`, { transferId }, options);
  }
}

export class AccountFrozenError extends LedgerError {
  override readonly name = 'AccountFrozenError';
  readonly kind = 'rejected' as const;
  readonly code = 'account-frozen';
  constructor(accountId: string, options?: ErrorOptions) {
    super(`Account ${accountId} is frozen`, { accountId }, options);
  }
}

export class AccountClosedError extends LedgerError {
  override readonly name = 'AccountClosedError';
  readonly kind = 'rejected' as const;
  readonly code = 'account-closed';
  constructor(accountId: string, options?: ErrorOptions) {
    super(`Account ${accountId} is closed`, { accountId }, options);
  }
}

export class InsufficientFundsError extends LedgerError {
  override readonly name = 'InsufficientFundsError';
  readonly kind = 'rejected' as const;
  readonly code = 'insufficient-funds';
  readonly available: number;
  constructor(accountId: string, available: number, requested: number, options?: ErrorOptions) {
    super(
      `Account ${accountId} has ${available} available, ${requested} requested`,
      { accountId, available, requested },
      options,
    );
    this.available = available;
  }
}

export class CreditsExceedDebitsError extends LedgerError {
  override readonly name = 'CreditsExceedDebitsError';
  readonly kind = 'rejected' as const;
  readonly code = 'credits-exceed-debits';
  constructor(accountId: string, options?: ErrorOptions) {
    super(`Account ${accountId} may not have credits beyond its debits`, { accountId }, options);
  }
}

export class SameAccountError extends LedgerError {
  override readonly name = 'SameAccountError';
  readonly kind = 'rejected' as const;
  readonly code = 'same-account';
  constructor(accountId: string, options?: ErrorOptions) {
    super(`A transfer needs two different accounts, got ${accountId} twice`, { accountId }, options);
  }
}

export class TransferAlreadyResolvedError extends LedgerError {
  override readonly name = 'TransferAlreadyResolvedError';
  readonly kind = 'rejected' as const;
  readonly code = 'transfer-already-resolved';
  readonly status: string;
  constructor(transferId: string, status: string, options?: ErrorOptions) {
    super(
      `Transfer ${transferId} is ${status}; only a pending transfer can be resolved`,
      { transferId, transferStatus: status },
      options,
    );
    this.status = status;
  }
}

export class PendingTransferExpiredError extends LedgerError {
  override readonly name = 'PendingTransferExpiredError';
  readonly kind = 'rejected' as const;
  readonly code = 'pending-transfer-expired';
  constructor(transferId: string, expiresAt: string, options?: ErrorOptions) {
    super(
      `Pending transfer ${transferId} expired at ${expiresAt}; its reservation was released`,
      { transferId, expiresAt },
      options,
    );
  }
}

export class PostAmountExceedsPendingError extends LedgerError {
  override readonly name = 'PostAmountExceedsPendingError';
  readonly kind = 'rejected' as const;
  readonly code = 'post-amount-exceeds-pending';
  constructor(transferId: string, pendingAmount: number, requested: number, options?: ErrorOptions) {
    super(
      `Transfer ${transferId} reserved ${pendingAmount}; cannot post ${requested}`,
      { transferId, pendingAmount, requested },
      options,
    );
  }
}

/**
 * A retried id exists with other fields (TigerBeetle's `exists_with_different_*`): the public code
 * stays `exists-with-different-fields`, and `field` names the first field that differs.
 */
export class ExistsWithDifferentFieldsError extends LedgerError {
  override readonly name: string = 'ExistsWithDifferentFieldsError';
  readonly kind = 'rejected' as const;
  readonly code = 'exists-with-different-fields';
  readonly field: string;
  /** `what` names the thing (`Transfer`), `idKey` its id's detail key (`transferId`). */
  constructor(what: string, idKey: string, id: string, field: string, options?: ErrorOptions) {
    super(
      `${what} ${id} already exists with different fields: ${field} differs`,
      { [idKey]: id, field },
      options,
    );
    this.field = field;
  }
}

export class TransferExistsWithDifferentFieldsError extends ExistsWithDifferentFieldsError {
  override readonly name = 'TransferExistsWithDifferentFieldsError';
  constructor(transferId: string, field: string, options?: ErrorOptions) {
    super('Transfer', 'transferId', transferId, field, options);
  }
}

export class AccountNotEmptyError extends LedgerError {
  override readonly name = 'AccountNotEmptyError';
  readonly kind = 'rejected' as const;
  readonly code = 'account-not-empty';
  constructor(accountId: string, options?: ErrorOptions) {
    super(`Account ${accountId} still holds a balance or a pending transfer`, { accountId }, options);
  }
}

export class InvalidStatusTransitionError extends LedgerError {
  override readonly name = 'InvalidStatusTransitionError';
  readonly kind = 'rejected' as const;
  readonly code = 'invalid-status-transition';
  constructor(accountId: string, from: string, to: string, options?: ErrorOptions) {
    super(
      `Account ${accountId} cannot go from ${from} to ${to}`,
      { accountId, accountStatus: from },
      options,
    );
  }
}

/** An optimistic-concurrency conflict: another writer appended to one of the named streams first. */
export class ConcurrencyConflictError extends Error {
  override readonly name = 'ConcurrencyConflictError';
  readonly kind = 'conflict' as const;
  readonly streams: readonly string[];
  constructor(streams: readonly string[], options?: ErrorOptions) {
    super(`Concurrent write to ${streams.join(', ') || 'an unknown stream'}`, options);
    this.streams = streams;
  }
}

/** The first of `fields` whose existing and requested values differ, for the exists-with-different-fields errors. */
export function differingField<K extends string>(
  existing: Readonly<Record<K, unknown>>,
  requested: Readonly<Record<K, unknown>>,
  fields: readonly K[],
): K | undefined {
  return fields.find((field) => existing[field] !== requested[field]);
}

/**
 * A fact from outside arrived before the one it follows (deliveries are unordered: a dispute lost before
 * we saw it open). Never a LedgerError: nothing is refused, the event waits for its predecessor.
 */
export class AwaitingPredecessorError extends Error {
  override readonly name: string = 'AwaitingPredecessorError';
}
