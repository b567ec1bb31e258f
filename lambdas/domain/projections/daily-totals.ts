import type { TransferPurpose } from '../events.ts';
import type { Projection, RowChange, RowKey } from './read-model.ts';

/** Kept per transfer stream: its purpose, which a later PendingTransferPosted does not repeat. */
export interface TotalsState {
  readonly purpose: TransferPurpose;
}

/** Partition of a tenant's totals in one currency: `<tenantId>#<currency>`; the sort key is the day. */
export function totalsPartition(tenantId: string, currency: string): string {
  return `${tenantId}#${currency}`;
}

/** The guard of one transfer stream: each transfer is counted once, whatever the stream delivers. */
export function totalsGuardKey(tenantId: string, transferId: string): RowKey {
  return { pk: `guard#${tenantId}#${transferId}`, sk: 'guard' };
}

/** The set of currencies a tenant has totals in, so a report without a currency reads only those. */
export function currenciesKey(tenantId: string): RowKey {
  return { pk: `currencies#${tenantId}`, sk: 'currencies' };
}

function counted(
  tenantId: string,
  day: string,
  currency: string,
  amount: number,
  purpose: TransferPurpose,
): RowChange[] {
  return [
    {
      kind: 'add',
      key: { pk: totalsPartition(tenantId, currency), sk: day },
      set: { tenantId, currency, day },
      add: {
        count: 1,
        debits: amount,
        credits: amount,
        deposits: purpose === 'deposit' ? amount : 0,
        withdrawals: purpose === 'withdrawal' ? amount : 0,
      },
    },
    { kind: 'add', key: currenciesKey(tenantId), set: { tenantId }, add: { currencies: [currency] } },
  ];
}

/**
 * Per tenant, currency and UTC day: postings counted once each, from the transfer's own stream
 * (the account streams carry the same events and are not counted).
 */
export const dailyTotals: Projection<TotalsState> = {
  model: 'daily-totals',
  streamType: 'transfer',
  guardKey: (stream) => totalsGuardKey(stream.tenantId, stream.id),
  apply: (state, event) => {
    const day = event.occurredAt.slice(0, 10);
    switch (event.type) {
      case 'TransferPosted': {
        const p = event.payload;
        return {
          state: { purpose: p.purpose },
          changes: counted(event.tenantId, day, p.currency, p.amount, p.purpose),
        };
      }
      case 'TransferPending':
        return { state: { purpose: event.payload.purpose }, changes: [] };
      case 'PendingTransferPosted': {
        const p = event.payload;
        const purpose = state?.purpose ?? 'transfer';
        return { state, changes: counted(event.tenantId, day, p.currency, p.amount, purpose) };
      }
      default:
        return { state, changes: [] };
    }
  },
};
