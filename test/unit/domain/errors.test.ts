import { describe, expect, it } from 'vitest';
import * as disputes from '../../../lambdas/domain/disputes.ts';
import * as errors from '../../../lambdas/domain/errors.ts';
import { ConcurrencyConflictError, LedgerError } from '../../../lambdas/domain/errors.ts';
import * as paymentErrors from '../../../lambdas/domain/payments/errors.ts';
import * as processor from '../../../lambdas/domain/payments/processor.ts';
import * as systemIds from '../../../lambdas/domain/system-ids.ts';

type AnyErrorClass = new (...args: unknown[]) => Error;

/** Every exported LedgerError subclass of the domain's modules. */
const classes = [errors, paymentErrors, disputes, processor, systemIds].flatMap((module) =>
  Object.values(module).filter(
    (value): value is AnyErrorClass => typeof value === 'function' && value.prototype instanceof LedgerError,
  ),
);

/** An argument every constructor accepts: it reads as a string, a number and a list. */
const anything = Object.assign(['x'], { valueOf: () => 1 });

describe('domain errors', () => {
  it('are all found (the list below is not vacuous)', () => {
    expect(classes.length).toBeGreaterThanOrEqual(30);
  });

  it.each(classes.map((c) => [c.name, c] as const))(
    '%s declares a kind consistent with its code',
    (_, Class) => {
      const error = new Class(anything, anything, anything, anything);
      if (!(error instanceof LedgerError)) throw new Error(`${Class.name} is not a LedgerError`);
      expect(error.name).toBe(Class.name);
      expect(error.name).toMatch(/Error$/);
      expect(['not-found', 'rejected']).toContain(error.kind);
      expect(error.code).toMatch(/^[a-z]+(-[a-z]+)*$/);
      // The HTTP status used to come from this suffix; `kind` must say the same.
      expect(error.kind === 'not-found').toBe(error.code.endsWith('-not-found'));
      if (error.code === 'exists-with-different-fields') expect(error.details).toHaveProperty('field');
    },
  );

  it('marks a concurrency conflict as the one retryable kind', () => {
    expect(new ConcurrencyConflictError(['account#t#a']).kind).toBe('conflict');
    expect(new ConcurrencyConflictError(['account#t#a'])).not.toBeInstanceOf(LedgerError);
  });
});
