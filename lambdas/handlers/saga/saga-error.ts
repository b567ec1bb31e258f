import { LedgerError } from '../../domain/errors.ts';

/**
 * The one `Error` name the state machine's Retry and Catch match for a business rejection. The class
 * that said no travels in the message (`<Class>: <message>`), which the Catch's `Cause` carries.
 */
export const BUSINESS_REJECTION = 'BusinessRejectionError';

/**
 * The `Error` names the state machine retries with backoff: Lambda's service errors (AWS's
 * recommended list), a task that timed out or whose function crashed, and the errors saga tasks let through under their own
 * names. The processor's CircuitOpenError never reaches a task: the processor client turns it into
 * ProcessorUnavailableError.
 */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Sandbox.Timedout',
  // The function's process died (a crash, out of memory): the task is idempotent by (payment, step).
  'Runtime.ExitError',
  'States.Timeout',
  'ProcessorUnavailableError',
  'ConcurrencyConflictError',
  'DynamoDbAdapterError',
] as const;

/** A processor's decline code is the merchant's own information; anything else in it is dropped. */
const DECLINE_CODE = /^[a-z0-9_]{1,64}$/;

/**
 * A business rejection (any {@link LedgerError}) as the state machine sees it: one name, and in the
 * message the class, its stable code in brackets (plus the processor's decline code for a decline),
 * then the full message for the execution history: `InsufficientFundsError [insufficient-funds]: …`.
 */
export class BusinessRejectionError extends Error {
  override readonly name = BUSINESS_REJECTION;
  /** The class that said no, e.g. `InsufficientFundsError`. */
  readonly rejectedBy: string;
  readonly kind: LedgerError['kind'];
  readonly code: string;
  constructor(rejection: LedgerError) {
    const decline = rejection.details.declineCode;
    const code =
      typeof decline === 'string' && DECLINE_CODE.test(decline)
        ? `${rejection.code}:${decline}`
        : rejection.code;
    super(`${rejection.name} [${code}]: ${rejection.message}`, { cause: rejection });
    this.rejectedBy = rejection.name;
    this.kind = rejection.kind;
    this.code = rejection.code;
  }
}

/**
 * What a saga task throws for an error: a business rejection (kind `not-found` or `rejected`, final
 * for this payment) under the one name the ASL catches; anything else (conflicts, outages, bugs)
 * unchanged, so its class name is the `Error` the ASL retries or lets fall to `States.ALL`.
 */
export function forStateMachine(error: unknown): unknown {
  return error instanceof LedgerError ? new BusinessRejectionError(error) : error;
}

/** The error a Catch hands over (`ResultPath: $.error`); `Cause` is the Lambda error JSON when a task threw it. */
export interface CaughtError {
  readonly Error?: string;
  readonly Cause?: string;
}

/** The stable code merchants see for a failure that was not a business rejection, by `Error` name. */
const CODE_OF_ERROR: Readonly<Record<string, string>> = {
  ProcessorUnavailableError: 'processor-unavailable',
  ConcurrencyConflictError: 'concurrent-modification',
  DynamoDbAdapterError: 'ledger-unavailable',
  'States.Timeout': 'timeout',
  'Sandbox.Timedout': 'timeout',
};

/**
 * Why a payment failed, as the stable code a merchant may see (`insufficient-funds`,
 * `payment-declined:card_declined`, `processor-unavailable`, …): never a message, which can carry
 * another party's balance or ids. The full error stays in the execution history and the logs.
 */
export function failureReason(error: CaughtError | undefined): string {
  if (!error?.Error) return 'unknown';
  if (error.Error === BUSINESS_REJECTION) {
    let message = error.Cause ?? '';
    try {
      const parsed = JSON.parse(message) as { errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
    } catch {
      // Not JSON: taken as the message itself.
    }
    return /^[A-Za-z]+Error \[([a-z0-9:_-]{1,140})\]: /.exec(message)?.[1] ?? 'rejected';
  }
  if (error.Error.startsWith('Lambda.')) return 'ledger-unavailable';
  return CODE_OF_ERROR[error.Error] ?? 'internal-error';
}
