import { describe, expect, it } from 'vitest';
import {
  AmountOverflowError,
  InvalidAmountError,
  UnknownCurrencyError,
} from '../../../lambdas/domain/errors.ts';
import {
  addMinor,
  assertPositiveAmount,
  currency,
  exponentOf,
  formatMinor,
  subtractMinor,
} from '../../../lambdas/domain/money.ts';

describe('money', () => {
  it('knows the minor-unit exponent of each currency (JPY 0, USD 2, BHD 3)', () => {
    expect(exponentOf(currency('JPY'))).toBe(0);
    expect(exponentOf(currency('USD'))).toBe(2);
    expect(exponentOf(currency('BHD'))).toBe(3);
  });

  it('rejects a currency that is not ISO 4217 or not in the table', () => {
    expect(() => currency('usd')).toThrow(UnknownCurrencyError);
    expect(() => currency('XXX')).toThrow(UnknownCurrencyError);
    expect(() => currency('toString')).toThrow(UnknownCurrencyError);
  });

  it('accepts only positive safe integers as amounts, never floats', () => {
    expect(assertPositiveAmount(1)).toBe(1);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => assertPositiveAmount(bad)).toThrow(InvalidAmountError);
    }
  });

  it('treats overflow of the safe integer range as an error', () => {
    expect(addMinor(Number.MAX_SAFE_INTEGER - 1, 1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => addMinor(Number.MAX_SAFE_INTEGER, 1)).toThrow(AmountOverflowError);
  });

  it('formats minor units with the currency exponent', () => {
    expect(formatMinor(12345, currency('USD'))).toBe('123.45 USD');
    expect(formatMinor(5, currency('BHD'))).toBe('0.005 BHD');
    expect(formatMinor(-700, currency('JPY'))).toBe('-700 JPY');
  });
});

describe('money at the edges', () => {
  it('names the amount field by default when it rejects an amount', () => {
    expect(() => assertPositiveAmount(0)).toThrow(expect.objectContaining({ details: { field: 'amount' } }));
  });

  it('treats a difference beyond the safe integer range as an overflow, showing what was added', () => {
    expect(subtractMinor(5, 7)).toBe(-2);
    expect(() => subtractMinor(-Number.MAX_SAFE_INTEGER, 1)).toThrow(
      'Amount arithmetic overflowed the safe integer range (-9007199254740991 + -1)',
    );
  });

  it('formats zero without a sign', () => {
    expect(formatMinor(0, currency('USD'))).toBe('0.00 USD');
  });

  it('refuses the exponent of a code that bypassed parsing (e.g. read back from storage)', () => {
    // JSON.parse stands for an adapter's unchecked read: the brand says Currency, the table does not.
    const unparsed = JSON.parse('"XYZ"');
    expect(() => exponentOf(unparsed)).toThrow(UnknownCurrencyError);
  });
});
