import { describe, expect, it } from 'vitest';
import {
  DisputeAlreadyResolvedError,
  DisputeNotOpenedError,
  NotAMerchantAccountError,
} from '../../../lambdas/domain/disputes.ts';
import {
  AccountClosedError,
  AccountFrozenError,
  AccountNotEmptyError,
  AccountNotFoundError,
  AmountOverflowError,
  ConcurrencyConflictError,
  CreditsExceedDebitsError,
  CurrencyMismatchError,
  InsufficientFundsError,
  InvalidAmountError,
  InvalidStatusTransitionError,
  type LedgerError,
  PendingTransferExpiredError,
  PostAmountExceedsPendingError,
  SameAccountError,
  TransferAlreadyResolvedError,
  TransferExistsWithDifferentFieldsError,
  TransferNotFoundError,
  UnknownCurrencyError,
} from '../../../lambdas/domain/errors.ts';
import {
  CaptureConflictError,
  InvalidFeeError,
  PaymentExistsWithDifferentFieldsError,
  PaymentNotFoundError,
  PaymentNotRefundableError,
  PaymentStateError,
  RefundExceedsCapturedError,
  RefundExistsWithDifferentFieldsError,
  RefundNotFoundError,
  RefundOutcomeConflictError,
  RiskRejectedError,
} from '../../../lambdas/domain/payments/errors.ts';
import { PaymentDeclinedError } from '../../../lambdas/domain/payments/processor.ts';

/** What the caller reads in a problem+json body: `detail` (the message) and the extra fields (details). */
/** Built inside the test (a thunk each), so mutation testing sees which test runs which constructor. */
const cases: readonly [() => LedgerError, string, Record<string, string | number>][] = [
  [() => new UnknownCurrencyError('XYZ'), "Unknown ISO 4217 currency 'XYZ'", { currency: 'XYZ' }],
  [
    () => new InvalidAmountError('timeoutSeconds', 1.5),
    "'timeoutSeconds' must be a positive integer number of minor units, got 1.5",
    { field: 'timeoutSeconds' },
  ],
  [() => new AmountOverflowError(9, -2), 'Amount arithmetic overflowed the safe integer range (9 + -2)', {}],
  [
    () => new CurrencyMismatchError('acct_1', 'USD', 'EUR'),
    'Account acct_1 holds USD, not EUR',
    { accountId: 'acct_1', accountCurrency: 'USD', currency: 'EUR' },
  ],
  [() => new AccountNotFoundError('acct_1'), 'Account acct_1 does not exist', { accountId: 'acct_1' }],
  [() => new TransferNotFoundError('tr_1'), 'Transfer tr_1 does not exist', { transferId: 'tr_1' }],
  [() => new AccountFrozenError('acct_1'), 'Account acct_1 is frozen', { accountId: 'acct_1' }],
  [() => new AccountClosedError('acct_1'), 'Account acct_1 is closed', { accountId: 'acct_1' }],
  [
    () => new InsufficientFundsError('acct_1', 5, 7),
    'Account acct_1 has 5 available, 7 requested',
    { accountId: 'acct_1', available: 5, requested: 7 },
  ],
  [
    () => new CreditsExceedDebitsError('acct_1'),
    'Account acct_1 may not have credits beyond its debits',
    { accountId: 'acct_1' },
  ],
  [
    () => new SameAccountError('acct_1'),
    'A transfer needs two different accounts, got acct_1 twice',
    { accountId: 'acct_1' },
  ],
  [
    () => new TransferAlreadyResolvedError('tr_1', 'voided'),
    'Transfer tr_1 is voided; only a pending transfer can be resolved',
    { transferId: 'tr_1', transferStatus: 'voided' },
  ],
  [
    () => new PendingTransferExpiredError('tr_1', '2026-01-01T00:00:00.000Z'),
    'Pending transfer tr_1 expired at 2026-01-01T00:00:00.000Z; its reservation was released',
    { transferId: 'tr_1', expiresAt: '2026-01-01T00:00:00.000Z' },
  ],
  [
    () => new PostAmountExceedsPendingError('tr_1', 5, 7),
    'Transfer tr_1 reserved 5; cannot post 7',
    { transferId: 'tr_1', pendingAmount: 5, requested: 7 },
  ],
  [
    () => new TransferExistsWithDifferentFieldsError('tr_1', 'amount'),
    'Transfer tr_1 already exists with different fields: amount differs',
    { transferId: 'tr_1', field: 'amount' },
  ],
  [
    () => new AccountNotEmptyError('acct_1'),
    'Account acct_1 still holds a balance or a pending transfer',
    { accountId: 'acct_1' },
  ],
  [
    () => new InvalidStatusTransitionError('acct_1', 'closed', 'frozen'),
    'Account acct_1 cannot go from closed to frozen',
    { accountId: 'acct_1', accountStatus: 'closed' },
  ],
  [() => new PaymentNotFoundError('pay_1'), 'Payment pay_1 does not exist', { paymentId: 'pay_1' }],
  [
    () => new PaymentExistsWithDifferentFieldsError('pay_1', 'currency'),
    'Payment pay_1 already exists with different fields: currency differs',
    { paymentId: 'pay_1', field: 'currency' },
  ],
  [
    () => new InvalidFeeError(100, 150),
    'A fee of 150 does not fit a payment of 100',
    { amount: 100, fee: 150 },
  ],
  [
    () => new RiskRejectedError('pay_1', ['amount-over-tenant-limit', 'payer-velocity-exceeded']),
    'Payment pay_1 was rejected: amount-over-tenant-limit, payer-velocity-exceeded',
    { paymentId: 'pay_1', reasons: 'amount-over-tenant-limit,payer-velocity-exceeded' },
  ],
  [
    () => new PaymentStateError('pay_1', 'settled', 'a settled payment cannot fail'),
    'Payment pay_1 is settled; a settled payment cannot fail',
    { paymentId: 'pay_1', paymentStatus: 'settled' },
  ],
  [
    () => new PaymentNotRefundableError('pay_1', 'failed'),
    'Payment pay_1 is failed; only a settled payment can be refunded',
    { paymentId: 'pay_1', paymentStatus: 'failed' },
  ],
  [
    () => new RefundExceedsCapturedError('pay_1', 30, 40),
    'Payment pay_1 has 30 left to refund, 40 requested',
    { paymentId: 'pay_1', refundable: 30, requested: 40 },
  ],
  [
    () => new RefundNotFoundError('pay_1', 'rf_1'),
    'Payment pay_1 has no refund rf_1',
    { paymentId: 'pay_1', refundId: 'rf_1' },
  ],
  [
    () => new RefundExistsWithDifferentFieldsError('rf_1'),
    'Refund rf_1 already exists with different fields: amount differs',
    { refundId: 'rf_1', field: 'amount' },
  ],
  [
    () => new RefundOutcomeConflictError('rf_1', 'failed', 'succeeded'),
    'Refund rf_1 is failed; the processor now reports succeeded',
    { refundId: 'rf_1', recorded: 'failed', reported: 'succeeded' },
  ],
  [
    () => new CaptureConflictError('pay_1', 'captured as ch_2, not ch_1'),
    'Payment pay_1: captured as ch_2, not ch_1',
    { paymentId: 'pay_1' },
  ],
  [
    () => new PaymentDeclinedError('pay_1', 'insufficient_funds'),
    'The processor declined payment pay_1: insufficient_funds',
    { paymentId: 'pay_1', declineCode: 'insufficient_funds' },
  ],
  [
    () => new NotAMerchantAccountError('acct_1', 'customer'),
    'Account acct_1 is a customer account, not a merchant account',
    { accountId: 'acct_1', kind: 'customer' },
  ],
  [
    () => new DisputeAlreadyResolvedError('dp_1', 'voided'),
    "Dispute dp_1's hold is already voided",
    { disputeId: 'dp_1', holdStatus: 'voided' },
  ],
];

describe('what a rejection tells the caller', () => {
  it.each(cases.map(([make, message, details]) => [message, make, details] as const))(
    '%s',
    (message, make, details) => {
      const error = make();
      expect(error.message).toBe(message);
      expect(error.details).toEqual(details);
    },
  );

  it('keeps the fields a caller acts on as properties too', () => {
    expect(new InsufficientFundsError('acct_1', 5, 7).available).toBe(5);
    expect(new TransferAlreadyResolvedError('tr_1', 'expired').status).toBe('expired');
    expect(new RiskRejectedError('pay_1', ['payer-velocity-exceeded']).reasons).toEqual([
      'payer-velocity-exceeded',
    ]);
    expect(new PaymentDeclinedError('pay_1', 'do_not_honor').declineCode).toBe('do_not_honor');
    expect(new TransferExistsWithDifferentFieldsError('tr_1', 'reference').field).toBe('reference');
  });
});

describe('retryable failures', () => {
  it('name the streams a concurrent writer moved, or say none was named', () => {
    const conflict = new ConcurrencyConflictError(['account#t#a', 'transfer#t#tr_1']);
    expect(conflict.message).toBe('Concurrent write to account#t#a, transfer#t#tr_1');
    expect(conflict.name).toBe('ConcurrencyConflictError');
    expect(conflict.streams).toEqual(['account#t#a', 'transfer#t#tr_1']);
    expect(new ConcurrencyConflictError([]).message).toBe('Concurrent write to an unknown stream');
  });

  it('name the dispute that closed before it opened', () => {
    const early = new DisputeNotOpenedError('dp_1');
    expect(early.message).toBe('Dispute dp_1 has no hold yet');
    expect(early.disputeId).toBe('dp_1');
    expect(early.name).toBe('DisputeNotOpenedError');
  });
});
