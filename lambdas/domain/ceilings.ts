/**
 * The largest amount one transfer or payment may move, per tenant. Balances are exact integers of minor
 * units below 2^53 (money.ts refuses any total past that before it is written), so without a ceiling a
 * single huge amount could push a shared account's running totals (a settlement shard's) to the edge and
 * wedge every later transfer through it. With the default, more than 90,000 transfers at the ceiling
 * would have to land on one shard stream first.
 */
import { LedgerError } from './errors.ts';

/** The ceilings in force: a default, and tenants that were given their own. */
export interface AmountCeilings {
  readonly defaultMinor: number;
  readonly perTenant: Readonly<Record<string, number>>;
}

/** 10^11 minor units: 1 billion USD or EUR, 100 billion JPY, 100 million KWD per transfer. */
export const DEFAULT_AMOUNT_CEILING = 100_000_000_000;

export const DEFAULT_AMOUNT_CEILINGS: AmountCeilings = {
  defaultMinor: DEFAULT_AMOUNT_CEILING,
  perTenant: {},
};

/** The amount is above what one transfer of this tenant may move. */
export class AmountAboveCeilingError extends LedgerError {
  override readonly name = 'AmountAboveCeilingError';
  readonly kind = 'rejected' as const;
  readonly code = 'amount-above-ceiling';
  constructor(amount: number, ceiling: number, options?: ErrorOptions) {
    super(
      `Amount ${amount} is above the ceiling of ${ceiling} minor units per transfer`,
      { ceiling },
      options,
    );
  }
}

/** The tenant's ceiling. */
export function ceilingFor(ceilings: AmountCeilings, tenantId: string): number {
  return Object.hasOwn(ceilings.perTenant, tenantId)
    ? (ceilings.perTenant[tenantId] ?? ceilings.defaultMinor)
    : ceilings.defaultMinor;
}

/** Refuses an amount above the ceiling (facts from outside are never refused: see transfer-decisions.ts). */
export function assertWithinCeiling(amount: number, ceiling: number): void {
  if (amount > ceiling) throw new AmountAboveCeilingError(amount, ceiling);
}

/** A ceiling must be a whole number of minor units, 1 .. 2^53 - 1. */
function validCeiling(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(
      `${what} must be a whole number of minor units, 1..${Number.MAX_SAFE_INTEGER}; got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Ceilings from their settings (environment variables or CDK context, as text): the default, and a JSON
 * object of tenant id → ceiling. Anything else throws, naming the setting.
 */
export function parseAmountCeilings(
  settings: { readonly defaultMinor?: string | undefined; readonly perTenant?: string | undefined },
  names: { readonly defaultMinor: string; readonly perTenant: string },
): AmountCeilings {
  const defaultMinor =
    settings.defaultMinor === undefined || settings.defaultMinor === ''
      ? DEFAULT_AMOUNT_CEILING
      : validCeiling(Number(settings.defaultMinor), names.defaultMinor);
  if (settings.perTenant === undefined || settings.perTenant === '') return { defaultMinor, perTenant: {} };
  const parsed = jsonOrUndefined(settings.perTenant);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${names.perTenant} must be a JSON object of tenant id → ceiling`);
  const perTenant = Object.fromEntries(
    Object.entries(parsed).map(([tenant, value]) => [
      tenant,
      validCeiling(value, `${names.perTenant}.${tenant}`),
    ]),
  );
  return { defaultMinor, perTenant };
}

/** What `text` holds as JSON; undefined when it is not JSON (which no JSON value parses to). */
function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
