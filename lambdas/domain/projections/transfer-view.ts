import type { StreamRef } from '../events.ts';
import { expiryPartition } from '../expiry.ts';
import { evolveTransfer, type TransferState } from '../transfer.ts';
import type { Projection, RowKey } from './read-model.ts';

/** The transfer view's row (and guard): one per transfer, `pk = <tenantId>#<transferId>`. */
export function transferViewKey(tenantId: string, transferId: string): RowKey {
  return { pk: `${tenantId}#${transferId}` };
}

/**
 * The sparse GSI of the transfer view tables: only a pending transfer with an expiry carries its keys
 * (`expiryShard`, `expiresAt`), so the index holds exactly the reservations the expiry sweep may have to
 * expire. The row also carries `transferId` then, projected with `tenantId` (INCLUDE).
 */
export const TRANSFER_VIEW_INDEXES = {
  byExpiry: {
    name: 'by-expiry',
    partitionKey: 'expiryShard',
    sortKey: 'expiresAt',
    include: ['tenantId', 'transferId'],
  },
} as const;

/**
 * The index keys of a transfer: present while it is pending with an expiry, absent once it is resolved
 * (the guard item is written whole, so the row leaves the index in the same write that resolves it).
 */
export function expiryIndexAttributes(state: TransferState | null): Readonly<Record<string, string>> {
  if (state?.status !== 'pending' || state.expiresAt === null) return {};
  return { expiryShard: expiryPartition(state.id), expiresAt: state.expiresAt, transferId: state.id };
}

/** Every transfer as its own stream defines it: status, amounts, legs, timestamps. */
export const transferView: Projection<TransferState> = {
  model: 'transfer-view',
  streamType: 'transfer',
  guardKey: (stream: StreamRef) => transferViewKey(stream.tenantId, stream.id),
  apply: (state, event) => ({ state: evolveTransfer(state, event), changes: [] }),
  guardAttributes: expiryIndexAttributes,
};
