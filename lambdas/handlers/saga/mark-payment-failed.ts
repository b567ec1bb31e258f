import { markPaymentFailed } from '../../application/payments/commands.ts';
import { type SagaInput, sagaTask } from '../../shared/payments.ts';

/** The reason a Catch hands over, `"<Error>: <message>"` (≤ 500 chars); Cause is Lambda's error JSON from a task. */
function describe(error: SagaInput['error']): string {
  if (!error?.Error) return 'unknown';
  let message = error.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: a States.* error's cause is plain text.
  }
  return `${error.Error}: ${message}`.slice(0, 500);
}

/** State MarkPaymentFailed. */
export const handler = sagaTask('MarkPaymentFailed', (ports, ctx, input) =>
  markPaymentFailed(ports, ctx, { paymentId: input.paymentId, reason: describe(input.error) }),
);
