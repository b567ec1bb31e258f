import { describe, expect, it } from 'vitest';
import { SameAccountError } from '../../../lambdas/domain/errors.ts';
import type { PaymentEvent } from '../../../lambdas/domain/events.ts';
import {
  assertMayFail,
  decideInitiatePayment,
  type InitiatePaymentCommand,
  paymentFailed,
} from '../../../lambdas/domain/payments/decide.ts';
import {
  InvalidFeeError,
  PaymentExistsWithDifferentFieldsError,
  PaymentStateError,
} from '../../../lambdas/domain/payments/errors.ts';
import { PAYMENT, type PaymentState } from '../../../lambdas/domain/payments/payment.ts';
import { DeciderSpecification, replay } from '../../support/decider-spec.ts';

const NOW = new Date('2026-01-02T00:00:00.000Z');
const evolve = (given: readonly PaymentEvent[]) => replay(PAYMENT, given, 'pay_1');

const initiate = DeciderSpecification.for<InitiatePaymentCommand, PaymentState | null, PaymentEvent>({
  decide: decideInitiatePayment,
  evolve,
});
const markFailed = DeciderSpecification.for<string, PaymentState | null, PaymentEvent>({
  decide: (reason, state) => {
    if (!state) throw new Error('no payment');
    assertMayFail(state);
    return paymentFailed(state, reason, NOW);
  },
  evolve,
});

const command: InitiatePaymentCommand = {
  paymentId: 'pay_1',
  payerAccountId: 'payer',
  merchantAccountId: 'shop',
  amount: 10_000,
  currency: 'USD',
  paymentMethod: 'tok_visa',
  fee: 300,
};
const initiated: PaymentEvent = {
  type: 'PaymentInitiated',
  payload: { ...command, description: null },
};
const reserved: PaymentEvent = {
  type: 'FundsReserved',
  payload: { paymentId: 'pay_1', transferId: 'pay_1-reserve' },
};
const voided: PaymentEvent = {
  type: 'ReservationVoided',
  payload: { paymentId: 'pay_1', transferId: 'pay_1-reserve' },
};

describe('initiating a payment', () => {
  it('records a new payment', () => {
    initiate.given([]).when(command).then([initiated]);
  });

  it('does nothing for the same payment again (the fee is not compared)', () => {
    initiate
      .given([initiated])
      .when({ ...command, fee: 1 })
      .thenNothing();
  });

  it('rejects the same id with other fields, naming the field', () => {
    initiate
      .given([initiated])
      .when({ ...command, paymentMethod: 'tok_amex' })
      .thenThrows<PaymentExistsWithDifferentFieldsError>(PaymentExistsWithDifferentFieldsError, (error) => {
        expect(error.field).toBe('paymentMethod');
        expect(error.code).toBe('exists-with-different-fields');
      });
  });

  it('rejects a fee that does not fit and a payer paying itself', () => {
    initiate
      .given([])
      .when({ ...command, fee: 10_000 })
      .thenThrows(InvalidFeeError);
    initiate
      .given([])
      .when({ ...command, merchantAccountId: 'payer' })
      .thenThrows(SameAccountError);
  });
});

describe('marking a payment failed', () => {
  it('records the step it stopped at, the compensations that ran, and tells the merchant', () => {
    markFailed
      .given([initiated, reserved, voided])
      .when('RiskRejectedError: velocity')
      .then([
        {
          type: 'PaymentFailed',
          payload: {
            paymentId: 'pay_1',
            reason: 'RiskRejectedError: velocity',
            failedStep: 'AssessRisk',
            compensations: ['VoidReservation'],
          },
        },
        {
          type: 'MerchantNotificationRequested',
          payload: {
            notificationId: 'pay_1.failed',
            tenantId: 'tenant-a',
            merchantAccountId: 'shop',
            type: 'payment.failed',
            occurredAt: NOW.toISOString(),
            data: {
              paymentId: 'pay_1',
              amount: 10_000,
              currency: 'USD',
              reason: 'RiskRejectedError: velocity',
            },
          },
        },
      ]);
  });

  it('rejects failing a payment whose reservation is not voided yet', () => {
    markFailed.given([initiated, reserved]).when('x').thenThrows(PaymentStateError);
  });
});
