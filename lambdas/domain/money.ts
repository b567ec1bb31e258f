import { AmountOverflowError, InvalidAmountError, UnknownCurrencyError } from './errors.ts';

/** ISO 4217 minor-unit exponents for the currencies Ledgerline accepts. */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  AED: 2,
  AUD: 2,
  BHD: 3,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CLP: 0,
  CNY: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  ISK: 0,
  JOD: 3,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  MXN: 2,
  MYR: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  PHP: 2,
  PLN: 2,
  RON: 2,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TND: 3,
  TRY: 2,
  TWD: 2,
  UGX: 0,
  USD: 2,
  VND: 0,
  XOF: 0,
  ZAR: 2,
});

/** An ISO 4217 code that appears in {@link CURRENCY_EXPONENTS}. */
export type Currency = string & { readonly __brand: 'Currency' };

/** Parses an ISO 4217 code; unknown codes are an {@link UnknownCurrencyError}. */
export function currency(code: string): Currency {
  if (!Object.hasOwn(CURRENCY_EXPONENTS, code)) throw new UnknownCurrencyError(code);
  return code as Currency;
}

/** The number of minor-unit digits of a currency (JPY 0, USD 2, BHD 3). */
export function exponentOf(code: Currency): number {
  const exponent = CURRENCY_EXPONENTS[code];
  if (exponent === undefined) throw new UnknownCurrencyError(code);
  return exponent;
}

/** Checks that an amount is a positive safe integer count of minor units. */
export function assertPositiveAmount(amount: number, field = 'amount'): number {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new InvalidAmountError(field, amount);
  return amount;
}

/** Adds minor-unit counts; a result beyond Number.MAX_SAFE_INTEGER is an {@link AmountOverflowError}. */
export function addMinor(a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new AmountOverflowError(a, b);
  return sum;
}

/** Subtracts minor-unit counts; the result must stay a safe integer. */
export function subtractMinor(a: number, b: number): number {
  const difference = a - b;
  if (!Number.isSafeInteger(difference)) throw new AmountOverflowError(a, -b);
  return difference;
}

/** Renders minor units as a decimal string for humans (never parsed back, never used in arithmetic). */
export function formatMinor(amount: number, code: Currency): string {
  const exponent = exponentOf(code);
  const sign = amount < 0 ? '-' : '';
  const digits = Math.abs(amount)
    .toString()
    .padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${sign}${whole}${fraction} ${code}`;
}
