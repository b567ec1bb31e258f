import type { ReadModelName } from '../lambdas/domain/projections/read-model.ts';

/** The API surface: one Lambda per route, and what each route may do to the tables. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  /** API Gateway resource path, e.g. `/accounts/{id}`. */
  readonly path: string;
  /** Handler entry, relative to the project root; it exports `handler`. */
  readonly entry: string;
  /**
   * `write` routes append events and use the idempotency table; `read` routes only read; `none`
   * routes touch no ledger table (their construct grants what they need).
   */
  readonly access: 'read' | 'write' | 'none';
  /**
   * Who may call: a tenant with an API key, or anyone whose request carries a valid webhook
   * signature (checked by the handler; the caller has no API key).
   * @default 'api-key'
   */
  readonly auth?: 'api-key' | 'webhook-signature';
  /** The read models the route queries (read access only). @default none */
  readonly readModels?: readonly ReadModelName[];
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/accounts', entry: 'lambdas/handlers/api/open-account.ts', access: 'write' },
  {
    method: 'GET',
    path: '/accounts/{id}',
    entry: 'lambdas/handlers/api/get-account.ts',
    access: 'read',
    readModels: ['account-view'],
  },
  {
    method: 'GET',
    path: '/accounts/{id}/events',
    entry: 'lambdas/handlers/api/list-account-events.ts',
    access: 'read',
  },
  {
    method: 'GET',
    path: '/accounts/{id}/transactions',
    entry: 'lambdas/handlers/api/list-account-transactions.ts',
    access: 'read',
    readModels: ['account-history'],
  },
  {
    method: 'POST',
    path: '/accounts/{id}/deposits',
    entry: 'lambdas/handlers/api/deposit.ts',
    access: 'write',
  },
  {
    method: 'POST',
    path: '/accounts/{id}/withdrawals',
    entry: 'lambdas/handlers/api/withdraw.ts',
    access: 'write',
  },
  {
    method: 'POST',
    path: '/accounts/{id}/freeze',
    entry: 'lambdas/handlers/api/freeze-account.ts',
    access: 'write',
  },
  {
    method: 'POST',
    path: '/accounts/{id}/unfreeze',
    entry: 'lambdas/handlers/api/unfreeze-account.ts',
    access: 'write',
  },
  { method: 'POST', path: '/transfers', entry: 'lambdas/handlers/api/create-transfer.ts', access: 'write' },
  {
    method: 'GET',
    path: '/transfers/{id}',
    entry: 'lambdas/handlers/api/get-transfer.ts',
    access: 'read',
    readModels: ['transfer-view'],
  },
  {
    method: 'POST',
    path: '/transfers/{id}/post',
    entry: 'lambdas/handlers/api/post-transfer.ts',
    access: 'write',
  },
  {
    method: 'POST',
    path: '/transfers/{id}/void',
    entry: 'lambdas/handlers/api/void-transfer.ts',
    access: 'write',
  },

  {
    method: 'GET',
    path: '/reports/daily',
    entry: 'lambdas/handlers/api/get-daily-report.ts',
    access: 'read',
    readModels: ['daily-totals'],
  },

  // Webhooks (issue 6): inbound from the card processor, outbound to merchants.
  {
    method: 'POST',
    path: '/webhooks/processor',
    entry: 'lambdas/handlers/api/receive-processor-webhook.ts',
    access: 'none',
    auth: 'webhook-signature',
  },
  {
    method: 'POST',
    path: '/merchants/{id}/webhook-endpoints',
    entry: 'lambdas/handlers/api/register-webhook-endpoint.ts',
    access: 'read',
  },
  {
    method: 'GET',
    path: '/merchants/{id}/webhook-endpoints',
    entry: 'lambdas/handlers/api/list-webhook-endpoints.ts',
    access: 'read',
  },
  {
    method: 'GET',
    path: '/merchants/{id}/deliveries',
    entry: 'lambdas/handlers/api/list-deliveries.ts',
    access: 'read',
  },

  // Payments (issue 5): settlement runs as a Step Functions saga; reads come from the payment view.
  { method: 'POST', path: '/payments', entry: 'lambdas/handlers/api/create-payment.ts', access: 'write' },
  {
    method: 'GET',
    path: '/payments',
    entry: 'lambdas/handlers/api/list-payments.ts',
    access: 'read',
    readModels: ['payment-view'],
  },
  {
    method: 'GET',
    path: '/payments/{id}',
    entry: 'lambdas/handlers/api/get-payment.ts',
    access: 'read',
    readModels: ['payment-view'],
  },
  {
    method: 'POST',
    path: '/payments/{id}/refunds',
    entry: 'lambdas/handlers/api/refund-payment.ts',
    access: 'write',
  },
];
