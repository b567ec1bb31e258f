import { type AccountState, evolveAccount } from '../account.ts';
import type { StreamRef } from '../events.ts';
import type { Projection, RowKey } from './read-model.ts';

/** The account view's row (and guard): one per account, `pk = <tenantId>#<accountId>`. */
export function accountViewKey(tenantId: string, accountId: string): RowKey {
  return { pk: `${tenantId}#${accountId}` };
}

/** Balances, status and version per account: the write side's own reducer, kept up to date. */
export const accountView: Projection<AccountState> = {
  model: 'account-view',
  streamType: 'account',
  guardKey: (stream: StreamRef) => accountViewKey(stream.tenantId, stream.id),
  apply: (state, event) => ({ state: evolveAccount(state, event), changes: [] }),
};
