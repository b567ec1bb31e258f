import type { ReadModelName } from '../lambdas/domain/projections/read-model.ts';

/** The API surface: one Lambda per route, and what each route may do to the tables. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST';
  /** API Gateway resource path, e.g. `/accounts/{id}`. */
  readonly path: string;
  /** Handler entry, relative to the project root; it exports `handler`. */
  readonly entry: string;
  /** `write` routes append events and use the idempotency table; `read` routes only read. */
  readonly access: 'read' | 'write';
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
];
