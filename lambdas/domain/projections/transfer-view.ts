import type { StreamRef } from '../events.ts';
import { evolveTransfer, type TransferState } from '../transfer.ts';
import type { Projection, RowKey } from './read-model.ts';

/** The transfer view's row (and guard): one per transfer, `pk = <tenantId>#<transferId>`. */
export function transferViewKey(tenantId: string, transferId: string): RowKey {
  return { pk: `${tenantId}#${transferId}` };
}

/** Every transfer as its own stream defines it: status, amounts, legs, timestamps. */
export const transferView: Projection<TransferState> = {
  model: 'transfer-view',
  streamType: 'transfer',
  guardKey: (stream: StreamRef) => transferViewKey(stream.tenantId, stream.id),
  apply: (state, event) => ({ state: evolveTransfer(state, event), changes: [] }),
};
