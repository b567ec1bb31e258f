import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ConcurrencyConflictError, type ErrorKind, LedgerError } from '../domain/errors.ts';
import { splitStreamKey } from '../domain/events.ts';
import { ProcessorUnavailableError } from '../domain/payments/processor.ts';

/** An RFC 9457 problem: `type` is stable per error, and extra members help the caller. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly [extra: string]: unknown;
}

/** A domain-independent request error raised by the API layer itself. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly extra: Readonly<Record<string, unknown>>;
  constructor(status: number, code: string, message: string, extra: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/** Problem types are URNs so they stay stable whatever host serves the API. */
export const problemType = (code: string) => `urn:ledgerline:problem:${code}`;

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Content too large',
  422: 'Unprocessable content',
  500: 'Internal error',
  503: 'Service unavailable',
};

/** How long a client should wait before retrying a conflict or an in-flight duplicate. */
const RETRY_AFTER_SECONDS = '1';

const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  'not-found': 404,
  rejected: 422,
  conflict: 409,
};

/** The SDK's names for a DynamoDB request refused for capacity (single calls and transactions). */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/**
 * DynamoDB refused the request for capacity: a throttling error, a transaction cancelled only
 * because of throttling, or either one as the `cause` of an adapter's error. Recognised by name
 * (the SDK's classes and re-thrown copies both count); shared code may not import the adapters.
 */
export function isDynamoDbThrottling(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (THROTTLING_NAMES.has(current.name)) return true;
    if (current.name === 'TransactionCanceledException') {
      const reasons =
        (current as { CancellationReasons?: readonly { Code?: string }[] }).CancellationReasons ?? [];
      const codes = reasons
        .map((reason) => reason.Code)
        .filter((code) => code !== undefined && code !== 'None');
      if (codes.length > 0 && codes.every((code) => code === 'ThrottlingError')) return true;
    }
    current = current.cause;
  }
  return false;
}

/** The one place where errors become HTTP statuses. Unknown errors are 500 and reveal nothing. */
export function toProblem(
  error: unknown,
  instance?: string,
): { problem: Problem; headers: Record<string, string> } {
  const make = (
    status: number,
    code: string,
    detail: string,
    extra: Record<string, unknown> = {},
  ): { problem: Problem; headers: Record<string, string> } => ({
    // Extension members first: the standard members always win a name clash.
    problem: {
      ...extra,
      type: problemType(code),
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      ...(instance ? { instance } : {}),
    },
    headers:
      status === 409 || status === 503
        ? { 'Retry-After': RETRY_AFTER_SECONDS }
        : ({} as Record<string, string>),
  });
  if (error instanceof ApiError) return make(error.status, error.code, error.message, { ...error.extra });
  if (error instanceof LedgerError) {
    return make(STATUS_OF_KIND[error.kind], error.code, error.message, { ...error.details });
  }
  if (error instanceof ConcurrencyConflictError) {
    return make(
      STATUS_OF_KIND[error.kind],
      'concurrent-modification',
      'Another request changed the same account; retry.',
      {
        // Stream keys are `<type>#<tenant>#<id>`; the caller sees `<type>/<id>`.
        streams: error.streams.map((key) => {
          const stream = splitStreamKey(key);
          return stream ? `${stream.type}/${stream.id}` : key;
        }),
      },
    );
  }
  if (error instanceof IdempotencyValidationError) {
    return make(
      422,
      'idempotency-key-reused',
      'This Idempotency-Key was already used with a different request body or path.',
    );
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return make(
      409,
      'idempotent-request-in-progress',
      'A request with this Idempotency-Key is still being processed.',
    );
  }
  if (error instanceof ProcessorUnavailableError) {
    return make(
      503,
      'processor-unavailable',
      'The payment processor is unavailable; retry with the same Idempotency-Key.',
    );
  }
  if (isDynamoDbThrottling(error)) {
    return make(503, 'throttled', 'The ledger is busy; retry after the Retry-After delay.');
  }
  return make(500, 'internal', 'An unexpected error occurred. It has been logged.');
}

/** A JSON response. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** An application/problem+json response for any error. */
export function problemResponse(error: unknown, instance?: string): APIGatewayProxyResult {
  const { problem, headers } = toProblem(error, instance);
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(problem),
  };
}
