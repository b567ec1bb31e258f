import { describe, expect, it } from 'vitest';
import type { StoredEvent, TransferEvent } from '../../../lambdas/domain/events.ts';
import { EXPIRY_SHARDS, expiryPartition, expiryShardKey } from '../../../lambdas/domain/expiry.ts';
import {
  expiryIndexAttributes,
  TRANSFER_VIEW_INDEXES,
  transferView,
  transferViewKey,
} from '../../../lambdas/domain/projections/transfer-view.ts';
import { shardOf } from '../../../lambdas/domain/shards.ts';
import { evolveTransfer, type TransferState } from '../../../lambdas/domain/transfer.ts';

const legs = { transferId: 'tr_1', debitAccountId: 'a', creditAccountId: 'b', currency: 'USD' };
const stream = { type: 'transfer' as const, tenantId: 't1', id: 'tr_1' };
let version = 0;
const stored = (event: TransferEvent): StoredEvent =>
  ({
    ...event,
    eventId: `e${++version}`,
    schemaVersion: 1,
    occurredAt: '2026-01-01T00:00:00.000Z',
    stream,
    version,
    correlationId: 'c',
    causationId: 'c',
    actor: 'test',
  }) as StoredEvent;
const pending = (expiresAt: string | null): TransferState =>
  evolveTransfer(
    null,
    stored({
      type: 'TransferPending',
      payload: { ...legs, amount: 5, purpose: 'transfer', reference: null, expiresAt },
    }) as StoredEvent<TransferEvent>,
  );

describe('the expiry index of the transfer view', () => {
  it('spreads pending transfers over the fixed partitions by transfer id', () => {
    expect(EXPIRY_SHARDS).toBe(8);
    expect(expiryShardKey(3)).toBe('expiry#3');
    expect(expiryPartition('tr_1')).toBe(`expiry#${shardOf('tr_1', 8)}`);
  });

  it('carries the keys only while a transfer is pending with an expiry', () => {
    const due = pending('2026-01-01T00:01:00.000Z');
    expect(expiryIndexAttributes(due)).toEqual({
      expiryShard: expiryPartition('tr_1'),
      expiresAt: '2026-01-01T00:01:00.000Z',
      transferId: 'tr_1',
    });
    expect(expiryIndexAttributes(pending(null))).toEqual({});
    expect(expiryIndexAttributes(null)).toEqual({});
    const voided = evolveTransfer(
      due,
      stored({
        type: 'PendingTransferVoided',
        payload: { ...legs, pendingAmount: 5 },
      }) as StoredEvent<TransferEvent>,
    );
    expect(expiryIndexAttributes(voided)).toEqual({});
  });

  it('is the projection’s guard attributes, on a row keyed by tenant and transfer', () => {
    expect(transferView.guardAttributes).toBe(expiryIndexAttributes);
    expect(transferView.guardKey(stream)).toEqual(transferViewKey('t1', 'tr_1'));
    expect(transferViewKey('t1', 'tr_1')).toEqual({ pk: 't1#tr_1' });
    expect(transferView).toMatchObject({ model: 'transfer-view', streamType: 'transfer' });
    expect(TRANSFER_VIEW_INDEXES.byExpiry).toEqual({
      name: 'by-expiry',
      partitionKey: 'expiryShard',
      sortKey: 'expiresAt',
      include: ['tenantId', 'transferId'],
    });
    const applied = transferView.apply(
      null,
      stored({
        type: 'TransferPending',
        payload: { ...legs, amount: 5, purpose: 'transfer', reference: null, expiresAt: null },
      }),
    );
    expect(applied.changes).toEqual([]);
    expect(applied.state).toMatchObject({ id: 'tr_1', status: 'pending' });
  });
});
