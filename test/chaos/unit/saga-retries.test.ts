import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRANSIENT_ERRORS } from '../../../lambdas/handlers/saga/saga-error.ts';

// Found by the chaos run (seed 1, default rates): a saga task whose function crashed once (Runtime.ExitError)
// was not retried, so a payment failed as `internal-error`, or, in a compensation, stayed `captured` with its
// execution failed. Every task is idempotent by (payment, step), so a crash is retried like a timeout.
describe('saga retries after a crash', () => {
  it('counts a crashed function as transient, in the code and in every Retry of the state machine', () => {
    expect(TRANSIENT_ERRORS).toContain('Runtime.ExitError');
    const asl = readFileSync(
      join(import.meta.dirname, '..', '..', '..', 'statemachines', 'payment-settlement.asl.json'),
      'utf8',
    );
    const retries = [...asl.matchAll(/"Sandbox\.Timedout"/g)].length;
    expect(retries).toBeGreaterThan(0);
    expect([...asl.matchAll(/"Runtime\.ExitError"/g)].length).toBe(retries);
  });
});
