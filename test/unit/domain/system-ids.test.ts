import { describe, expect, it } from 'vitest';
import {
  clearingAccountId,
  clientAccountId,
  clientTransferId,
  disputeHoldId,
  disputesAccountId,
  feeAccountId,
  feeTransferId,
  isSystemAccount,
  onlySystemShards,
  payoutTransferId,
  refundHoldTransferId,
  refundReturnTransferId,
  reserveTransferId,
  SystemAccountError,
  SystemTransferError,
  settlementAccountId,
} from '../../../lambdas/domain/system-ids.ts';

describe('system account ids', () => {
  it('are `<role>-<currency>` per tenant', () => {
    expect(settlementAccountId('USD')).toBe('settlement-USD');
    expect(clearingAccountId('EUR')).toBe('clearing-EUR');
    expect(feeAccountId('JPY')).toBe('fees-JPY');
    expect(disputesAccountId('GBP')).toBe('disputes-GBP');
  });

  it('are recognised whole, in any or in the given currency, and nothing else is', () => {
    for (const id of ['settlement-USD', 'clearing-EUR', 'fees-JPY', 'disputes-GBP']) {
      expect(isSystemAccount(id), id).toBe(true);
    }
    expect(isSystemAccount('settlement-USD', 'USD')).toBe(true);
    expect(isSystemAccount('settlement-USD', 'EUR')).toBe(false);
    for (const id of ['acct_1', 'settlement-usd', 'xsettlement-USD', 'settlement-USDX', 'settlement-USD~1']) {
      expect(isSystemAccount(id), id).toBe(false);
    }
  });
});

describe('derived transfer ids', () => {
  it('derive from the payment, refund or dispute they belong to', () => {
    expect(reserveTransferId('pay_1')).toBe('pay_1-reserve');
    expect(payoutTransferId('pay_1')).toBe('pay_1-payout');
    expect(feeTransferId('pay_1')).toBe('pay_1-fee');
    expect(refundHoldTransferId('rf_1')).toBe('rf_1-hold');
    expect(refundReturnTransferId('rf_1')).toBe('rf_1-return');
    expect(disputeHoldId('dp_1')).toBe('dispute-dp_1');
  });
});

describe('onlySystemShards', () => {
  it('is true only when every named stream is a shard of a system account', () => {
    expect(onlySystemShards(['account#t#settlement-USD~3'])).toBe(true);
    expect(onlySystemShards(['account#t#settlement-USD~3', 'account#t#fees-USD~0'])).toBe(true);
    expect(onlySystemShards([])).toBe(false);
    expect(onlySystemShards(['account#t#settlement-USD'])).toBe(false);
    expect(onlySystemShards(['account#t#acct_1~2'])).toBe(false);
    expect(onlySystemShards(['transfer#t#settlement-USD~3'])).toBe(false);
    expect(onlySystemShards(['account#t#settlement-USD~3', 'account#t#acct_1'])).toBe(false);
    expect(onlySystemShards(['not-a-stream-key'])).toBe(false);
  });
});

describe('what clients may name', () => {
  it('refuses system accounts and single shard streams, and passes any other account', () => {
    expect(clientAccountId('acct_1')).toBe('acct_1');
    for (const id of ['settlement-USD', 'fees-EUR', 'acct_1~0', 'settlement-USD~4']) {
      expect(() => clientAccountId(id), id).toThrow(SystemAccountError);
    }
    const error = new SystemAccountError('fees-EUR');
    expect(error.details).toEqual({ accountId: 'fees-EUR' });
    expect(error.message).toContain('fees-EUR');
  });

  it('refuses transfer ids derived for payments, disputes and refunds', () => {
    expect(clientTransferId('tr_1')).toBe('tr_1');
    expect(clientTransferId('my-pay_1')).toBe('my-pay_1');
    for (const id of ['pay_1-reserve', 'dispute-dp_1', 'rf_1-hold', 'rf_1-return']) {
      expect(() => clientTransferId(id), id).toThrow(SystemTransferError);
    }
    const error = new SystemTransferError('rf_1-hold');
    expect(error.details).toEqual({ transferId: 'rf_1-hold' });
    expect(error.message).toContain('rf_1-hold');
  });
});
