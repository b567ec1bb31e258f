/**
 * Every problem type the API answers, with its status and an example `detail`: the OpenAPI document
 * lists each one with an example. A unit test checks that every code the sources can raise (domain
 * errors, ApiErrors, toProblem) is here, with the status its kind maps to.
 */
export interface ProblemInfo {
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 500 | 503;
  readonly detail: string;
  /** Extension members the problem carries, as in the example. */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Raised only by workers or the saga (recorded as an outcome), never answered by a route. */
  readonly internal?: true;
}

export const PROBLEMS = {
  // Requests the API layer refuses before any work.
  'malformed-json': { status: 400, detail: 'The request body is not valid JSON.' },
  'unexpected-body': { status: 400, detail: 'This endpoint takes no request body.' },
  'validation-failed': {
    status: 400,
    detail: 'The request body is invalid.',
    extra: { errors: [{ path: 'amount', message: 'Invalid input: expected int, received number' }] },
  },
  'invalid-path-parameter': { status: 400, detail: "'id' must be 1-64 letters, digits, '_' or '-'." },
  'invalid-cursor': { status: 400, detail: 'The cursor is not one this API issued.' },
  'invalid-idempotency-key': {
    status: 400,
    detail: 'Idempotency-Key must be 1-255 printable ASCII characters.',
  },
  'idempotency-key-required': { status: 400, detail: 'This endpoint needs an Idempotency-Key header.' },
  'invalid-webhook-url': {
    status: 400,
    detail: 'The webhook URL is refused: it resolves to a private address.',
  },
  'missing-api-key': {
    status: 401,
    detail: 'This API needs an API key (Authorization: Bearer or x-api-key).',
  },
  'insufficient-scope': {
    status: 403,
    detail: "This API key lacks the 'write' scope.",
    extra: { requiredScope: 'write' },
  },
  'invalid-signature': {
    status: 401,
    detail: 'The x-processor-signature header does not verify this body.',
  },
  'payload-too-large': { status: 413, detail: 'Webhook bodies are limited to 65536 bytes.' },
  // Not found (another tenant's resource is not found either).
  'export-not-found': {
    status: 404,
    detail: 'Export exp_123 does not exist',
    extra: { exportId: 'exp_123' },
  },
  'account-not-found': {
    status: 404,
    detail: 'Account acct_123 does not exist',
    extra: { accountId: 'acct_123' },
  },
  'transfer-not-found': {
    status: 404,
    detail: 'Transfer tr_123 does not exist',
    extra: { transferId: 'tr_123' },
  },
  'payment-not-found': {
    status: 404,
    detail: 'Payment pay_123 does not exist',
    extra: { paymentId: 'pay_123' },
  },
  'import-not-found': {
    status: 404,
    detail: 'Import imp_123 does not exist',
    extra: { importId: 'imp_123' },
  },
  'refund-not-found': { status: 404, detail: 'Payment pay_123 has no refund rf_1', internal: true },
  // Conflicts: retry after Retry-After.
  'concurrent-modification': {
    status: 409,
    detail: 'Another request changed the same account; retry.',
    extra: { streams: ['account/acct_123'] },
  },
  'idempotent-request-in-progress': {
    status: 409,
    detail: 'A request with this Idempotency-Key is still being processed.',
  },
  // Ledger rules.
  'idempotency-key-reused': {
    status: 422,
    detail: 'This Idempotency-Key was already used with a different request body or path.',
  },
  'exists-with-different-fields': {
    status: 422,
    detail: 'Transfer tr_123 exists with a different amount',
    extra: { transferId: 'tr_123', field: 'amount' },
  },
  'unknown-currency': { status: 422, detail: "Unknown ISO 4217 currency 'XYZ'", extra: { currency: 'XYZ' } },
  'invalid-amount': { status: 422, detail: 'Amount must be a positive integer of minor units' },
  'amount-overflow': { status: 422, detail: 'Amount arithmetic overflowed the safe integer range' },
  'amount-above-ceiling': {
    status: 422,
    detail: 'Amount 200000000000 is above the ceiling of 100000000000 minor units per transfer',
    extra: { ceiling: 100_000_000_000 },
  },
  'currency-mismatch': { status: 422, detail: 'Account acct_123 holds USD, not EUR' },
  'insufficient-funds': {
    status: 422,
    detail: 'Account acct_123 has insufficient funds',
    extra: { accountId: 'acct_123' },
  },
  'credits-exceed-debits': { status: 422, detail: 'Account acct_123 may not have credits beyond its debits' },
  'same-account': { status: 422, detail: 'A transfer needs two different accounts, got acct_123 twice' },
  'account-frozen': { status: 422, detail: 'Account acct_123 is frozen' },
  'account-closed': { status: 422, detail: 'Account acct_123 is closed' },
  'account-not-empty': {
    status: 422,
    detail: 'Account acct_123 still holds a balance or a pending transfer',
    internal: true,
  },
  'invalid-status-transition': { status: 422, detail: 'Account acct_123 is already open' },
  'transfer-already-resolved': { status: 422, detail: 'Transfer tr_123 is already posted' },
  'pending-transfer-expired': { status: 422, detail: 'Pending transfer tr_123 expired' },
  'post-amount-exceeds-pending': { status: 422, detail: 'Cannot post 900 of a 500 reservation' },
  'system-account': { status: 422, detail: 'Account settlement-USD belongs to the ledger itself' },
  'as-of-version-sharded': {
    status: 422,
    detail: 'Account acct_123 is kept on several streams (it is sharded): ask for asOf=<an instant> instead',
  },
  'system-transfer': { status: 422, detail: 'Transfer ids starting with sys_ belong to the ledger itself' },
  'not-a-merchant-account': {
    status: 422,
    detail: 'Account acct_123 is a customer account, not a merchant account',
  },
  'dispute-already-resolved': {
    status: 422,
    detail: "Dispute dp_1's hold is already posted",
    internal: true,
  },
  'invalid-fee': { status: 422, detail: 'A fee of 900 does not fit a payment of 500' },
  'risk-rejected': { status: 422, detail: 'The payment was rejected by risk checks', internal: true },
  'payment-state': { status: 422, detail: 'Payment pay_123 is pending; it must be settled' },
  'import-not-retryable': {
    status: 422,
    detail: 'Import imp_123 cannot be retried: it rejected no row',
    extra: { importId: 'imp_123' },
  },
  'payment-not-refundable': { status: 422, detail: 'Payment pay_123 is not settled and cannot be refunded' },
  'refund-exceeds-captured': { status: 422, detail: 'A refund of 900 exceeds the 500 left to refund' },
  'refund-outcome-conflict': { status: 422, detail: 'Refund rf_1 already ended otherwise', internal: true },
  'capture-conflict': {
    status: 422,
    detail: 'Payment pay_123: captured twice with different ids',
    internal: true,
  },
  'payment-declined': { status: 422, detail: 'The processor declined payment pay_123: card_declined' },
  // The service.
  internal: { status: 500, detail: 'An unexpected error occurred. It has been logged.' },
  'processor-unavailable': {
    status: 503,
    detail: 'The payment processor is unavailable; retry with the same Idempotency-Key.',
  },
  throttled: { status: 503, detail: 'The ledger is busy; retry after the Retry-After delay.' },
} as const satisfies Readonly<Record<string, ProblemInfo>>;

export type ProblemCode = keyof typeof PROBLEMS;

const isProblemCode = (code: string): code is ProblemCode => Object.hasOwn(PROBLEMS, code);

export const PROBLEM_CODES: readonly ProblemCode[] = Object.keys(PROBLEMS).filter(isProblemCode);
