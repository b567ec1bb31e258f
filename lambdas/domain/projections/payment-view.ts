import type { StreamRef } from '../events.ts';
import { evolvePayment, type PaymentState } from '../payments/payment.ts';
import type { Projection, RowKey } from './read-model.ts';

/** The payment view's row (and guard): one per payment, `pk = <tenantId>#<paymentId>`. */
export function paymentViewKey(tenantId: string, paymentId: string): RowKey {
  return { pk: `${tenantId}#${paymentId}` };
}

/** Index keys of the payment view tables (GSIs `by-tenant` and `by-status`, both sorted by `listSk`). */
export const PAYMENT_VIEW_INDEXES = {
  byTenant: { name: 'by-tenant', partitionKey: 'listTenant', sortKey: 'listSk' },
  byStatus: { name: 'by-status', partitionKey: 'listStatus', sortKey: 'listSk' },
} as const;

/** `<tenantId>#<status>`: the by-status partition. */
export const paymentStatusPartition = (tenantId: string, status: string) => `${tenantId}#${status}`;

/**
 * Every payment as its stream defines it (status, failure and compensations, refunds). The guard item
 * is the row and carries the list keys, so `GET /payments?status=` pages a GSI newest first.
 */
export const paymentView: Projection<PaymentState> = {
  model: 'payment-view',
  streamType: 'payment',
  guardKey: (stream: StreamRef) => paymentViewKey(stream.tenantId, stream.id),
  apply: (state, event) => ({ state: evolvePayment(state, event), changes: [] }),
  guardAttributes: (state): Readonly<Record<string, string>> =>
    state
      ? {
          listTenant: state.tenantId,
          listStatus: paymentStatusPartition(state.tenantId, state.status),
          listSk: `${state.createdAt}#${state.id}`,
        }
      : {},
};
