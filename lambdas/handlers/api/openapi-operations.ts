import type { z } from 'zod';
import { createExportBody, exportResponse } from './export-schemas.ts';
import { importResponse } from './imports-schemas.ts';
import type { ProblemCode } from './openapi-problems.ts';
import { createPaymentBody, listPaymentsQuery, refundPaymentBody } from './payment-schemas.ts';
import {
  accountResponse,
  dailyReportResponse,
  deliveryResponse,
  eventResponse,
  openApiDocumentResponse,
  page,
  paymentResponse,
  postingResponse,
  refundResponse,
  registeredWebhookEndpointResponse,
  transferResponse,
  webhookEndpointResponse,
  webhookReceiptResponse,
} from './response-schemas.ts';
import {
  createTransferBody,
  dailyReportQuery,
  freezeAccountBody,
  getAccountQuery,
  moneyMovementBody,
  openAccountBody,
  pageQuery,
  postTransferBody,
  registerWebhookEndpointBody,
} from './schemas.ts';
import { statementQuery, statementResponse } from './statement-schemas.ts';

/** One operation of the contract: what it takes, what it answers, and which problems it may answer. */
export interface OperationSpec {
  readonly operationId: string;
  readonly summary: string;
  readonly tag: 'Accounts' | 'Transfers' | 'Reports' | 'Webhooks' | 'Payments' | 'Contract';
  /** As the route table declares it (lib/routes.ts). @default 'api-key' */
  readonly auth?: 'api-key' | 'webhook-signature' | 'none';
  readonly body?: z.ZodType;
  /** An object schema: one query parameter per property. */
  readonly query?: z.ZodType;
  readonly status: 200 | 201 | 202;
  readonly response: z.ZodType;
  /** The media type of the success response. @default 'application/json' */
  readonly responseMediaType?: 'application/json' | 'text/csv';
  /** Whether the route takes `Idempotency-Key` (and replays its first answer). @default none */
  readonly idempotencyKey?: 'optional' | 'required';
  /** The problems particular to this operation; the generic ones follow from the rest. */
  readonly problems?: readonly ProblemCode[];
}

const MONEY_RULES: readonly ProblemCode[] = [
  'account-not-found',
  'system-account',
  'unknown-currency',
  'currency-mismatch',
  'invalid-amount',
  'amount-overflow',
  'amount-above-ceiling',
  'account-frozen',
  'account-closed',
  'exists-with-different-fields',
];
const RESOLVE_RULES: readonly ProblemCode[] = [
  'transfer-not-found',
  'system-transfer',
  'transfer-already-resolved',
  'pending-transfer-expired',
  'amount-overflow',
];
const MERCHANT: readonly ProblemCode[] = ['account-not-found', 'not-a-merchant-account'];

/** Every route's operation, keyed `METHOD /path` as in lib/routes.ts (a test checks both agree). */
export const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  'POST /imports': {
    operationId: 'createImport',
    summary: 'Start a bulk import of transfers: answers a presigned PUT URL for the CSV (15 minutes)',
    tag: 'Transfers',
    status: 201,
    response: importResponse,
    idempotencyKey: 'required',
  },
  'GET /imports/{id}': {
    operationId: 'getImport',
    summary: 'An import: status, counts (accepted, rejected, duplicate, pending) and the error report URL',
    tag: 'Transfers',
    status: 200,
    response: importResponse,
    problems: ['import-not-found'],
  },
  'POST /imports/{id}/retry-rejected': {
    operationId: 'retryRejectedImportRows',
    summary: 'A new import for the fixed rejected rows of a done import: only those rows are booked',
    tag: 'Transfers',
    status: 201,
    response: importResponse,
    idempotencyKey: 'required',
    problems: ['import-not-found', 'import-not-retryable'],
  },
  'GET /openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This contract, as OpenAPI 3.1 (no API key needed)',
    tag: 'Contract',
    auth: 'none',
    status: 200,
    response: openApiDocumentResponse,
  },
  'POST /accounts': {
    operationId: 'openAccount',
    summary: 'Open an account',
    tag: 'Accounts',
    body: openAccountBody,
    status: 201,
    response: accountResponse,
    idempotencyKey: 'optional',
    problems: ['unknown-currency'],
  },
  'GET /accounts/{id}': {
    operationId: 'getAccount',
    summary: 'An account and its balances; `asOf` replays the event store to a version or an instant',
    tag: 'Accounts',
    query: getAccountQuery,
    status: 200,
    response: accountResponse,
    problems: ['account-not-found', 'as-of-version-sharded'],
  },
  'GET /accounts/{id}/events': {
    operationId: 'listAccountEvents',
    summary: 'The account’s audit trail, oldest first',
    tag: 'Accounts',
    query: pageQuery,
    status: 200,
    response: page(eventResponse),
    problems: ['account-not-found', 'invalid-cursor'],
  },
  'GET /accounts/{id}/transactions': {
    operationId: 'listAccountTransactions',
    summary: 'The account’s postings, keyset-paged on (postedAt, transferId)',
    tag: 'Accounts',
    query: pageQuery,
    status: 200,
    response: page(postingResponse),
    problems: ['account-not-found', 'invalid-cursor'],
  },
  'GET /accounts/{id}/statement.csv': {
    operationId: 'getAccountStatement',
    summary: 'The account’s postings in a period as CSV, streamed as they are read, with a checksum line',
    tag: 'Accounts',
    query: statementQuery,
    status: 200,
    response: statementResponse,
    responseMediaType: 'text/csv',
    problems: ['account-not-found'],
  },
  'POST /exports': {
    operationId: 'createExport',
    summary: 'Start an export (an account statement or the whole ledger, CSV, optionally gzip) as a job',
    tag: 'Reports',
    body: createExportBody,
    status: 202,
    response: exportResponse,
    idempotencyKey: 'required',
    problems: ['account-not-found', 'exists-with-different-fields'],
  },
  'GET /exports/{id}': {
    operationId: 'getExport',
    summary: 'An export’s progress, then a presigned download URL and its expiry',
    tag: 'Reports',
    status: 200,
    response: exportResponse,
    problems: ['export-not-found'],
  },
  'POST /accounts/{id}/deposits': {
    operationId: 'deposit',
    summary: 'Deposit: credit the account from the tenant’s settlement account',
    tag: 'Accounts',
    body: moneyMovementBody,
    status: 201,
    response: transferResponse,
    idempotencyKey: 'optional',
    problems: MONEY_RULES,
  },
  'POST /accounts/{id}/withdrawals': {
    operationId: 'withdraw',
    summary: 'Withdraw: debit the account to the tenant’s settlement account',
    tag: 'Accounts',
    body: moneyMovementBody,
    status: 201,
    response: transferResponse,
    idempotencyKey: 'optional',
    problems: [...MONEY_RULES, 'insufficient-funds'],
  },
  'POST /accounts/{id}/freeze': {
    operationId: 'freezeAccount',
    summary: 'Freeze an account: it can neither send nor receive',
    tag: 'Accounts',
    body: freezeAccountBody,
    status: 200,
    response: accountResponse,
    idempotencyKey: 'optional',
    problems: ['account-not-found', 'system-account', 'invalid-status-transition', 'account-closed'],
  },
  'POST /accounts/{id}/unfreeze': {
    operationId: 'unfreezeAccount',
    summary: 'Unfreeze an account',
    tag: 'Accounts',
    status: 200,
    response: accountResponse,
    idempotencyKey: 'optional',
    problems: ['account-not-found', 'system-account', 'invalid-status-transition', 'account-closed'],
  },
  'POST /transfers': {
    operationId: 'createTransfer',
    summary: 'Move money between two accounts, at once or as a reservation (`pending`)',
    tag: 'Transfers',
    body: createTransferBody,
    status: 201,
    response: transferResponse,
    idempotencyKey: 'optional',
    problems: [
      ...MONEY_RULES,
      'system-transfer',
      'same-account',
      'insufficient-funds',
      'credits-exceed-debits',
    ],
  },
  'GET /transfers/{id}': {
    operationId: 'getTransfer',
    summary: 'A transfer',
    tag: 'Transfers',
    status: 200,
    response: transferResponse,
    problems: ['transfer-not-found'],
  },
  'POST /transfers/{id}/post': {
    operationId: 'postTransfer',
    summary: 'Post a pending transfer, in full or `amount` of it',
    tag: 'Transfers',
    body: postTransferBody,
    status: 200,
    response: transferResponse,
    idempotencyKey: 'optional',
    problems: [...RESOLVE_RULES, 'post-amount-exceeds-pending'],
  },
  'POST /transfers/{id}/void': {
    operationId: 'voidTransfer',
    summary: 'Void a pending transfer: the reservation is released',
    tag: 'Transfers',
    status: 200,
    response: transferResponse,
    idempotencyKey: 'optional',
    problems: RESOLVE_RULES,
  },
  'GET /reports/daily': {
    operationId: 'getDailyReport',
    summary: 'Totals per UTC day and currency, at most 366 days',
    tag: 'Reports',
    query: dailyReportQuery,
    status: 200,
    response: dailyReportResponse,
  },
  'POST /webhooks/processor': {
    operationId: 'receiveProcessorWebhook',
    summary: 'Signed events from the card processor (HMAC in x-processor-signature; no API key)',
    tag: 'Webhooks',
    auth: 'webhook-signature',
    status: 202,
    response: webhookReceiptResponse,
    problems: ['payload-too-large', 'invalid-signature'],
  },
  'POST /merchants/{id}/webhook-endpoints': {
    operationId: 'registerWebhookEndpoint',
    summary: 'Register (or replace) the merchant’s webhook endpoint; answers its signing secret once',
    tag: 'Webhooks',
    body: registerWebhookEndpointBody,
    status: 201,
    response: registeredWebhookEndpointResponse,
    problems: [...MERCHANT, 'invalid-webhook-url'],
  },
  'GET /merchants/{id}/webhook-endpoints': {
    operationId: 'listWebhookEndpoints',
    summary: 'The merchant’s webhook endpoint (one at most), without its secret',
    tag: 'Webhooks',
    status: 200,
    response: page(webhookEndpointResponse),
    problems: MERCHANT,
  },
  'GET /merchants/{id}/deliveries': {
    operationId: 'listDeliveries',
    summary: 'Every delivery attempt to the merchant’s endpoint, newest first',
    tag: 'Webhooks',
    query: pageQuery,
    status: 200,
    response: page(deliveryResponse),
    problems: [...MERCHANT, 'invalid-cursor'],
  },
  'POST /payments': {
    operationId: 'createPayment',
    summary: 'Take a card payment: recorded at once, settled by the saga (poll GET /payments/{id})',
    tag: 'Payments',
    body: createPaymentBody,
    status: 202,
    response: paymentResponse,
    idempotencyKey: 'required',
    problems: [...MONEY_RULES, 'same-account', 'not-a-merchant-account', 'invalid-fee', 'payment-state'],
  },
  'GET /payments': {
    operationId: 'listPayments',
    summary: 'Payments, newest first, optionally by status',
    tag: 'Payments',
    query: listPaymentsQuery,
    status: 200,
    response: page(paymentResponse),
    problems: ['invalid-cursor'],
  },
  'GET /payments/{id}': {
    operationId: 'getPayment',
    summary: 'A payment: status, legs, failure and compensations, refunds',
    tag: 'Payments',
    status: 200,
    response: paymentResponse,
    problems: ['payment-not-found'],
  },
  'POST /payments/{id}/refunds': {
    operationId: 'refundPayment',
    summary: 'Refund (part of) a settled payment at the processor, then in the ledger',
    tag: 'Payments',
    body: refundPaymentBody,
    status: 201,
    response: refundResponse,
    idempotencyKey: 'required',
    problems: [
      'payment-not-found',
      'payment-not-refundable',
      'refund-exceeds-captured',
      'insufficient-funds',
      'payment-declined',
      'processor-unavailable',
    ],
  },
};
