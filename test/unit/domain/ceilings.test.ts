import { describe, expect, it } from 'vitest';
import { ACCOUNT } from '../../../lambdas/domain/account.ts';
import {
  AmountAboveCeilingError,
  assertWithinCeiling,
  ceilingFor,
  DEFAULT_AMOUNT_CEILING,
  parseAmountCeilings,
} from '../../../lambdas/domain/ceilings.ts';
import type { AccountEvent } from '../../../lambdas/domain/events.ts';
import { decideOpenTransfer, type OpenTransferCommand } from '../../../lambdas/domain/transfer-decisions.ts';
import { replay } from '../../support/decider-spec.ts';

const NAMES = { defaultMinor: 'CEILING', perTenant: 'TENANT_CEILINGS' };
const opened = (accountId: string): AccountEvent => ({
  type: 'AccountOpened',
  payload: {
    accountId,
    currency: 'USD',
    kind: 'internal',
    flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false },
  },
});
const given = {
  transfer: null,
  debit: replay(ACCOUNT, [opened('a')], 'a'),
  credit: replay(ACCOUNT, [opened('b')], 'b'),
};
const command: OpenTransferCommand = {
  transferId: 'tr_1',
  debitAccountId: 'a',
  creditAccountId: 'b',
  amount: 1_001,
  currency: 'USD',
  pending: false,
  reference: null,
  purpose: 'transfer',
  now: new Date('2026-01-01T00:00:00Z'),
  ceiling: 1_000,
};

describe('the amount ceiling', () => {
  it('refuses a new transfer above it, naming the ceiling, and allows one at it', () => {
    expect(() => decideOpenTransfer(command, given)).toThrow(AmountAboveCeilingError);
    try {
      assertWithinCeiling(1_001, 1_000);
    } catch (error) {
      expect(error).toMatchObject({
        name: 'AmountAboveCeilingError',
        code: 'amount-above-ceiling',
        kind: 'rejected',
        details: { ceiling: 1_000 },
        message: 'Amount 1001 is above the ceiling of 1000 minor units per transfer',
      });
    }
    expect(decideOpenTransfer({ ...command, amount: 1_000 }, given)).toHaveLength(1);
    expect(decideOpenTransfer({ ...command, ceiling: undefined }, given)).toHaveLength(1);
  });

  it('never refuses a fact from outside', () => {
    expect(decideOpenTransfer({ ...command, fact: true }, given)[0]?.payload).toMatchObject({
      amount: 1_001,
    });
  });

  it('is the tenant’s own where one was given, else the default (never an inherited property)', () => {
    const ceilings = parseAmountCeilings({ defaultMinor: '500', perTenant: '{"t1":900}' }, NAMES);
    expect([
      ceilingFor(ceilings, 't1'),
      ceilingFor(ceilings, 't2'),
      ceilingFor(ceilings, 'toString'),
    ]).toEqual([900, 500, 500]);
    expect(parseAmountCeilings({ defaultMinor: '', perTenant: '' }, NAMES)).toEqual({
      defaultMinor: DEFAULT_AMOUNT_CEILING,
      perTenant: {},
    });
    expect(DEFAULT_AMOUNT_CEILING).toBe(100_000_000_000);
  });

  it('settings refuse what is not a whole number of minor units 1..2^53-1, naming the setting', () => {
    expect(parseAmountCeilings({ defaultMinor: '1' }, NAMES).defaultMinor).toBe(1);
    expect(parseAmountCeilings({ defaultMinor: String(Number.MAX_SAFE_INTEGER) }, NAMES).defaultMinor).toBe(
      Number.MAX_SAFE_INTEGER,
    );
    for (const bad of ['0', '-5', '1.5', 'lots', String(2 ** 53)]) {
      expect(() => parseAmountCeilings({ defaultMinor: bad }, NAMES)).toThrow(
        /^CEILING must be a whole number/,
      );
    }
    for (const bad of ['[1]', 'null', '5', '"text"', '{"t1":"9"}', '{"t1":0}', 'not json']) {
      expect(() => parseAmountCeilings({ perTenant: bad }, NAMES)).toThrow(/^TENANT_CEILINGS/);
    }
  });
});
