import { describe, expect, it } from 'vitest';
import { SameAccountError } from '../../../lambdas/domain/errors.ts';
import type { PaymentEvent } from '../../../lambdas/domain/events.ts';
import {
  assertMayFail,
  assertNotCompensating,
  captureKey,
  captureRefundKey,
  decideInitiatePayment,
  failedStepOf,
  type InitiatePaymentCommand,
  paymentFailed,
  paymentReference,
  settledNotification,
} from '../../../lambdas/domain/payments/decide.ts';
import {
  InvalidFeeError,
  PaymentExistsWithDifferentFieldsError,
  PaymentStateError,
} from '../../../lambdas/domain/payments/errors.ts';
import { PAYMENT, type PaymentState, refundableAmount } from '../../../lambdas/domain/payments/payment.ts';
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

/** The payment after `given`, which must exist. */
function payment(given: readonly PaymentEvent[]): PaymentState {
  const state = evolve(given);
  if (!state) throw new Error('no payment');
  return state;
}

const captured: PaymentEvent = {
  type: 'PaymentCaptured',
  payload: { paymentId: 'pay_1', processorPaymentId: 'ch_1' },
};
const approved: PaymentEvent = {
  type: 'RiskAssessed',
  payload: { paymentId: 'pay_1', decision: 'approved', reasons: [] },
};
const settled: PaymentEvent = {
  type: 'PaymentSettled',
  payload: { paymentId: 'pay_1', merchantAmount: 9_700, fee: 300, transferIds: ['pay_1-reserve'] },
};
const failed: PaymentEvent = {
  type: 'PaymentFailed',
  payload: { paymentId: 'pay_1', reason: 'x', failedStep: 'AssessRisk', compensations: [] },
};

describe('payment keys', () => {
  it('derive the processor keys and the legs reference from the payment id', () => {
    expect(captureKey('pay_1')).toBe('pay_1.capture');
    expect(captureRefundKey('pay_1')).toBe('pay_1.capture-refund');
    expect(paymentReference('pay_1')).toBe('payment:pay_1');
  });
});

describe('payment rules', () => {
  it('refuse a negative or fractional fee, and take none', () => {
    for (const fee of [-1, 1.5, 10_001]) {
      initiate
        .given([])
        .when({ ...command, fee })
        .thenThrows(InvalidFeeError);
    }
    initiate
      .given([])
      .when({ ...command, fee: 0 })
      .then([{ type: 'PaymentInitiated', payload: { ...command, fee: 0, description: null } }]);
  });

  it('stop forward steps once compensation began, whichever compensation it was', () => {
    const refundedCapture: PaymentEvent = {
      type: 'CaptureRefunded',
      payload: { paymentId: 'pay_1', processorRefundId: 're_1', outcome: 'refunded' },
    };
    for (const given of [
      [initiated, failed],
      [initiated, reserved, voided],
      [initiated, captured, refundedCapture],
    ]) {
      expect(() => assertNotCompensating(payment(given))).toThrow(
        new PaymentStateError('pay_1', payment(given).status, 'it is being compensated'),
      );
    }
    expect(() => assertNotCompensating(payment([initiated, reserved, captured]))).not.toThrow();
  });

  it('never fail a settled payment, and say why a reserved one cannot fail yet', () => {
    expect(() => assertMayFail(payment([initiated, reserved, approved, captured, settled]))).toThrow(
      'Payment pay_1 is settled; a settled payment cannot fail',
    );
    expect(() => assertMayFail(payment([initiated, reserved]))).toThrow(
      'Payment pay_1 is reserved; its reservation must be voided first',
    );
    expect(() => assertMayFail(payment([initiated]))).not.toThrow();
  });

  it('name the step a payment stopped at from how far it got', () => {
    expect(failedStepOf(payment([initiated]))).toBe('ReserveFunds');
    expect(failedStepOf(payment([initiated, reserved]))).toBe('AssessRisk');
    expect(failedStepOf(payment([initiated, reserved, approved]))).toBe('CaptureAtProcessor');
    expect(failedStepOf(payment([initiated, reserved, approved, captured]))).toBe('PostTransfer');
    expect(failedStepOf(payment([initiated, reserved, approved, captured, settled]))).toBe('NotifyMerchant');
  });

  it('cut a long failure reason to 200 characters in the notification, never in the event', () => {
    const reason = 'x'.repeat(250);
    const [event, note] = paymentFailed(payment([initiated]), reason, NOW);
    expect(event).toMatchObject({ payload: { reason } });
    expect(note).toMatchObject({ payload: { data: { reason: 'x'.repeat(200) } } });
  });

  it('tell the merchant what it got of a settled payment, and the fee', () => {
    expect(settledNotification(payment([initiated]), NOW)).toEqual({
      type: 'MerchantNotificationRequested',
      payload: {
        notificationId: 'pay_1.settled',
        tenantId: 'tenant-a',
        merchantAccountId: 'shop',
        type: 'payment.settled',
        occurredAt: NOW.toISOString(),
        data: { paymentId: 'pay_1', amount: 10_000, currency: 'USD', fee: 300, merchantAmount: 9_700 },
      },
    });
  });
});

describe('the payment reducer', () => {
  const refund = (refundId: string, amount: number): PaymentEvent => ({
    type: 'RefundRequested',
    payload: { paymentId: 'pay_1', refundId, amount },
  });

  it('starts a payment with nothing settled, refunded or notified', () => {
    expect(payment([initiated])).toEqual({
      ...command,
      description: null,
      id: 'pay_1',
      tenantId: 'tenant-a',
      status: 'pending',
      reserveTransferId: null,
      risk: null,
      processorPaymentId: null,
      settlementTransferIds: [],
      failure: null,
      reservationVoided: false,
      captureRefund: null,
      compensating: false,
      refunds: [],
      refundedAmount: 0,
      notifications: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    });
  });

  it('marks the compensation fence: once it started, the payment is compensating', () => {
    const fence: PaymentEvent = { type: 'CompensationStarted', payload: { paymentId: 'pay_1' } };
    expect(payment([initiated]).compensating).toBe(false);
    expect(payment([initiated, fence])).toMatchObject({ compensating: true, status: 'pending' });
  });

  it('keeps a failed payment failed when a late capture confirmation arrives', () => {
    expect(payment([initiated, failed, captured])).toMatchObject({
      status: 'failed',
      processorPaymentId: 'ch_1',
    });
    expect(payment([initiated, reserved, captured])).toMatchObject({ status: 'captured' });
  });

  it('updates only the refund an outcome names, and counts only what is not failed as refunded or held', () => {
    const succeeded: PaymentEvent = {
      type: 'PaymentRefunded',
      payload: {
        paymentId: 'pay_1',
        refundId: 'rf_1',
        amount: 1_000,
        processorRefundId: 're_1',
        transferIds: [],
      },
    };
    const refused: PaymentEvent = {
      type: 'RefundFailed',
      payload: { paymentId: 'pay_1', refundId: 'rf_2', reason: 'declined' },
    };
    const state = payment([
      initiated,
      refund('rf_1', 1_000),
      refund('rf_2', 2_000),
      refund('rf_3', 500),
      succeeded,
      refused,
    ]);
    expect(state.refunds.map((r) => [r.refundId, r.status, r.processorRefundId, r.reason])).toEqual([
      ['rf_1', 'succeeded', 're_1', null],
      ['rf_2', 'failed', null, 'declined'],
      ['rf_3', 'requested', null, null],
    ]);
    expect(state.refundedAmount).toBe(1_000);
    expect(refundableAmount(state)).toBe(10_000 - 1_000 - 500);
  });
});
