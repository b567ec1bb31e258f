import { LedgerError } from '../../domain/errors.ts';

/**
 * The one `Error` name the state machine's Retry and Catch match for a business rejection. The class
 * that said no travels in the message (`<Class>: <message>`), which the Catch's `Cause` carries.
 */
export const BUSINESS_REJECTION = 'BusinessRejectionError';

/**
 * The `Error` names the state machine retries with backoff: Lambda's service errors (AWS's
 * recommended list), a task that timed out, and the errors saga tasks let through under their own
 * names. The processor's CircuitOpenError never reaches a task: the processor client turns it into
 * ProcessorUnavailableError.
 */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Sandbox.Timedout',
  'States.Timeout',
  'ProcessorUnavailableError',
  'ConcurrencyConflictError',
  'DynamoDbAdapterError',
] as const;

/** A business rejection (any {@link LedgerError}) as the state machine sees it: one name, the class in the message. */
export class BusinessRejectionError extends Error {
  override readonly name = BUSINESS_REJECTION;
  /** The class that said no, e.g. `InsufficientFundsError`. */
  readonly rejectedBy: string;
  readonly kind: LedgerError['kind'];
  readonly code: string;
  constructor(rejection: LedgerError) {
    super(`${rejection.name}: ${rejection.message}`, { cause: rejection });
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

/**
 * Why a payment failed, from the caught error: `<ErrorClass>: <message>`, at most 500 characters. A
 * business rejection reads as the class that said no (`InsufficientFundsError: Account …`), not as
 * {@link BUSINESS_REJECTION}; a `States.*` error's plain-text cause is taken as it is.
 */
export function failureReason(error: CaughtError | undefined): string {
  if (!error?.Error) return 'unknown';
  let message = error.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: a States.* error's cause is plain text.
  }
  const reason = error.Error === BUSINESS_REJECTION ? message : `${error.Error}: ${message}`;
  return reason.slice(0, 500);
}
