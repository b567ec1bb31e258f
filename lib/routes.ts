import type { ReadModelName } from '../lambdas/domain/projections/read-model.ts';

/**
 * What a route's function may do; the stack turns each into its construct's `grantX` (which sets the
 * variables the function's composition root reads, and the permission).
 */
export type RouteGrant =
  /** Append to (and read) the event store. */
  | 'append-events'
  /** Read the event store. */
  | 'read-events'
  /** Powertools idempotency records (routes that replay a stored response). */
  | 'idempotency'
  /** Record signed processor webhooks in the inbox and enqueue them. */
  | 'receive-processor-webhooks'
  /** Write a merchant's webhook endpoint (its secret sealed under the stack's key). */
  | 'register-webhook-endpoints'
  /** Read a merchant's webhook endpoint. */
  | 'read-webhook-endpoints'
  /** Read a merchant's delivery log. */
  | 'read-deliveries'
  /** Start the payment settlement saga. */
  | 'start-payments'
  /** Call the card processor. */
  | 'call-processor'
  /** Create bulk import jobs and sign their upload URLs. */
  | 'create-imports'
  /** Read bulk import jobs and sign their error report URLs. */
  | 'read-imports';

/** A route that changes the ledger and replays its response for a repeated Idempotency-Key. */
const WRITE: readonly RouteGrant[] = ['append-events', 'idempotency'];
/** A route that only reads the ledger. */
const READ: readonly RouteGrant[] = ['read-events'];

/** The API surface: one Lambda per route, and what each route may do. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  /** API Gateway resource path, e.g. `/accounts/{id}`. */
  readonly path: string;
  /** Handler entry, relative to the project root; it exports `handler`. */
  readonly entry: string;
  /** Everything the route's function may do (least privilege: nothing else is granted). */
  readonly grants: readonly RouteGrant[];
  /**
   * Who may call: a tenant with an API key; anyone whose request carries a valid webhook signature
   * (checked by the handler; the caller has no API key); or anyone at all (`none`: public documents
   * such as the OpenAPI contract). Routes without an API key get their own method throttle.
   * @default 'api-key'
   */
  readonly auth?: 'api-key' | 'webhook-signature' | 'none';
  /** The read models the route queries (read only). @default none */
  readonly readModels?: readonly ReadModelName[];
  /**
   * The handler streams its response (`awslambda.streamifyResponse`): API Gateway REST response
   * streaming (`responseTransferMode: STREAM`), set by LedgerApi.addRoute. @default false
   */
  readonly responseStreaming?: boolean;
}

/** Whether a route is called without an API key (and so outside any tenant's usage plan). */
export const isPublic = (route: Pick<RouteSpec, 'auth'>): boolean => (route.auth ?? 'api-key') !== 'api-key';

export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/accounts', entry: 'lambdas/handlers/api/open-account.ts', grants: WRITE },
  {
    method: 'GET',
    path: '/accounts/{id}',
    entry: 'lambdas/handlers/api/get-account.ts',
    grants: READ,
    readModels: ['account-view'],
  },
  {
    method: 'GET',
    path: '/accounts/{id}/events',
    entry: 'lambdas/handlers/api/list-account-events.ts',
    grants: READ,
  },
  {
    method: 'GET',
    path: '/accounts/{id}/transactions',
    entry: 'lambdas/handlers/api/list-account-transactions.ts',
    grants: READ,
    readModels: ['account-history'],
  },
  {
    method: 'POST',
    path: '/accounts/{id}/deposits',
    entry: 'lambdas/handlers/api/deposit.ts',
    grants: WRITE,
  },
  {
    method: 'POST',
    path: '/accounts/{id}/withdrawals',
    entry: 'lambdas/handlers/api/withdraw.ts',
    grants: WRITE,
  },
  {
    method: 'POST',
    path: '/accounts/{id}/freeze',
    entry: 'lambdas/handlers/api/freeze-account.ts',
    grants: WRITE,
  },
  {
    method: 'POST',
    path: '/accounts/{id}/unfreeze',
    entry: 'lambdas/handlers/api/unfreeze-account.ts',
    grants: WRITE,
  },
  { method: 'POST', path: '/transfers', entry: 'lambdas/handlers/api/create-transfer.ts', grants: WRITE },
  {
    method: 'GET',
    path: '/transfers/{id}',
    entry: 'lambdas/handlers/api/get-transfer.ts',
    grants: READ,
    readModels: ['transfer-view'],
  },
  {
    method: 'POST',
    path: '/transfers/{id}/post',
    entry: 'lambdas/handlers/api/post-transfer.ts',
    grants: WRITE,
  },
  {
    method: 'POST',
    path: '/transfers/{id}/void',
    entry: 'lambdas/handlers/api/void-transfer.ts',
    grants: WRITE,
  },

  {
    method: 'GET',
    path: '/reports/daily',
    entry: 'lambdas/handlers/api/get-daily-report.ts',
    grants: READ,
    readModels: ['daily-totals'],
  },

  // Webhooks (issue 6): inbound from the card processor, outbound to merchants.
  {
    method: 'POST',
    path: '/webhooks/processor',
    entry: 'lambdas/handlers/api/receive-processor-webhook.ts',
    grants: ['receive-processor-webhooks'],
    auth: 'webhook-signature',
  },
  {
    method: 'POST',
    path: '/merchants/{id}/webhook-endpoints',
    entry: 'lambdas/handlers/api/register-webhook-endpoint.ts',
    // Writes the endpoints table; no idempotency records (its answer carries a secret, never stored).
    grants: [...READ, 'register-webhook-endpoints'],
  },
  {
    method: 'GET',
    path: '/merchants/{id}/webhook-endpoints',
    entry: 'lambdas/handlers/api/list-webhook-endpoints.ts',
    grants: [...READ, 'read-webhook-endpoints'],
  },
  {
    method: 'GET',
    path: '/merchants/{id}/deliveries',
    entry: 'lambdas/handlers/api/list-deliveries.ts',
    grants: [...READ, 'read-deliveries'],
  },

  // Payments (issue 5): settlement runs as a Step Functions saga; reads come from the payment view.
  {
    method: 'POST',
    path: '/payments',
    entry: 'lambdas/handlers/api/create-payment.ts',
    grants: [...WRITE, 'start-payments'],
  },
  {
    method: 'GET',
    path: '/payments',
    entry: 'lambdas/handlers/api/list-payments.ts',
    grants: READ,
    readModels: ['payment-view'],
  },
  {
    method: 'GET',
    path: '/payments/{id}',
    entry: 'lambdas/handlers/api/get-payment.ts',
    grants: READ,
    readModels: ['payment-view'],
  },
  {
    method: 'POST',
    path: '/payments/{id}/refunds',
    entry: 'lambdas/handlers/api/refund-payment.ts',
    grants: [...WRITE, 'call-processor'],
  },

  // Bulk imports (issue 14): the file goes to S3 by a presigned URL; workers book its rows.
  {
    method: 'POST',
    path: '/imports',
    entry: 'lambdas/handlers/api/imports-create.ts',
    grants: ['create-imports'],
  },
  {
    method: 'GET',
    path: '/imports/{id}',
    entry: 'lambdas/handlers/api/imports-get.ts',
    grants: ['read-imports'],
  },
  {
    method: 'POST',
    path: '/imports/{id}/retry-rejected',
    entry: 'lambdas/handlers/api/imports-retry.ts',
    grants: ['create-imports'],
  },

  // The contract (issue 12): generated from the zod schemas, public, no data.
  {
    method: 'GET',
    path: '/openapi.json',
    entry: 'lambdas/handlers/api/get-openapi.ts',
    grants: [],
    auth: 'none',
  },

  // Statements and exports (issue 14): a streamed CSV statement.
  {
    method: 'GET',
    path: '/accounts/{id}/statement.csv',
    entry: 'lambdas/handlers/api/statement.ts',
    grants: READ,
    readModels: ['account-history'],
    responseStreaming: true,
  },
  // Async exports (issue 14): the jobs table, queue and bucket are granted by lib/exports.ts.
  {
    method: 'POST',
    path: '/exports',
    entry: 'lambdas/handlers/api/create-export.ts',
    grants: READ,
    readModels: ['account-view'],
  },
  { method: 'GET', path: '/exports/{id}', entry: 'lambdas/handlers/api/get-export.ts', grants: READ },
];
