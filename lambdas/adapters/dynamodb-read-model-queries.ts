import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { AccountState } from '../domain/account.ts';
import type { PaymentState } from '../domain/payments/payment.ts';
import { historyGuardKey, historyPartition, historySortKey } from '../domain/projections/account-history.ts';
import { accountViewKey } from '../domain/projections/account-view.ts';
import { currenciesKey, totalsPartition } from '../domain/projections/daily-totals.ts';
import {
  PAYMENT_VIEW_INDEXES,
  paymentStatusPartition,
  paymentViewKey,
} from '../domain/projections/payment-view.ts';
import type {
  DailyTotals,
  Posting,
  PostingPage,
  PostingPosition,
  ReadModelName,
  ReadModelQueries,
  RowKey,
} from '../domain/projections/read-model.ts';
import { transferViewKey } from '../domain/projections/transfer-view.ts';
import { isSystemAccount } from '../domain/system-ids.ts';
import type { TransferState } from '../domain/transfer.ts';
import { DynamoDbAdapterError, ItemReader } from './dynamodb-errors.ts';
import { queryItems } from './dynamodb-query.ts';

/**
 * The per-model queries of the read path, on whichever table serves each model (`tableOf`, the
 * blue/green pointer). Every row read is checked to belong to the caller's tenant.
 */
export abstract class DynamoDbReadModelQueries implements ReadModelQueries {
  protected readonly client: DynamoDBClient;

  constructor(client: DynamoDBClient) {
    this.client = client;
  }

  /** The table serving `model` now. */
  abstract tableOf(model: ReadModelName): Promise<string>;

  async account(tenantId: string, accountId: string): Promise<AccountState | null> {
    return this.#view<AccountState>('account-view', accountViewKey(tenantId, accountId), tenantId);
  }

  async transfer(tenantId: string, transferId: string): Promise<TransferState | null> {
    return this.#view<TransferState>('transfer-view', transferViewKey(tenantId, transferId), tenantId);
  }

  async postings(
    tenantId: string,
    accountId: string,
    after: PostingPosition | null,
    limit: number,
  ): Promise<PostingPage | null> {
    // A system account has no stream of its own (its shards have guards): it exists once it has postings.
    const system = isSystemAccount(accountId);
    const guard = system
      ? undefined
      : await this.getItem('account-history', historyGuardKey(tenantId, accountId), false);
    if (guard === undefined && !system) return null;
    const table = await this.tableOf('account-history');
    const pk = historyPartition(tenantId, accountId);
    const rows: Posting[] = [];
    // One row more than asked tells whether another page follows (no empty last page).
    const items = queryItems(
      this.client,
      {
        TableName: table,
        KeyConditionExpression: after ? 'pk = :pk AND sk > :after' : 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': { S: pk },
          ...(after ? { ':after': { S: historySortKey(after) } } : {}),
        },
      },
      `the history of ${pk}`,
      () => limit + 1 - rows.length,
    );
    for await (const item of items) {
      rows.push(toPosting(item, tenantId));
      if (rows.length > limit) break;
    }
    if (system && rows.length === 0 && after === null) return null;
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }

  async dailyTotals(tenantId: string, currency: string, from: string, to: string): Promise<DailyTotals[]> {
    const table = await this.tableOf('daily-totals');
    const pk = totalsPartition(tenantId, currency);
    const totals: DailyTotals[] = [];
    const items = queryItems(
      this.client,
      {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': { S: pk }, ':from': { S: from }, ':to': { S: to } },
      },
      `the daily totals ${pk}`,
    );
    for await (const item of items) {
      const read = new ItemReader(item, `daily-totals:${pk}`);
      if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the caller');
      totals.push({
        day: read.string('sk'),
        currency: read.string('currency'),
        count: read.integer('count'),
        debits: read.integer('debits'),
        credits: read.integer('credits'),
        deposits: read.integer('deposits'),
        withdrawals: read.integer('withdrawals'),
      });
    }
    return totals;
  }

  async currencies(tenantId: string): Promise<string[]> {
    const item = await this.getItem('daily-totals', currenciesKey(tenantId), false);
    const set = item?.currencies;
    return set instanceof Set ? [...(set as Set<string>)].sort() : [];
  }

  async payment(tenantId: string, paymentId: string): Promise<PaymentState | null> {
    return this.#view<PaymentState>('payment-view', paymentViewKey(tenantId, paymentId), tenantId);
  }

  async payments(
    tenantId: string,
    filter: { readonly status?: string | undefined; readonly after: string | null; readonly limit: number },
  ): Promise<{ rows: PaymentState[]; more: boolean }> {
    const table = await this.tableOf('payment-view');
    const index = filter.status ? PAYMENT_VIEW_INDEXES.byStatus : PAYMENT_VIEW_INDEXES.byTenant;
    const partition = filter.status ? paymentStatusPartition(tenantId, filter.status) : tenantId;
    const rows: PaymentState[] = [];
    // Newest first; one row more than asked tells whether another page follows.
    const items = queryItems(
      this.client,
      {
        TableName: table,
        IndexName: index.name,
        KeyConditionExpression: filter.after ? '#p = :p AND #s < :after' : '#p = :p',
        ExpressionAttributeNames: {
          '#p': index.partitionKey,
          ...(filter.after ? { '#s': index.sortKey } : {}),
        },
        ExpressionAttributeValues: {
          ':p': { S: partition },
          ...(filter.after ? { ':after': { S: filter.after } } : {}),
        },
        ScanIndexForward: false,
      },
      `the payments of ${partition}`,
      () => filter.limit + 1 - rows.length,
    );
    for await (const item of items) {
      const read = new ItemReader(item, `payment-view:${partition}`);
      if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the caller');
      rows.push(read.map('state') as unknown as PaymentState);
      if (rows.length > filter.limit) break;
    }
    return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
  }

  async #view<S>(model: ReadModelName, key: RowKey, tenantId: string): Promise<S | null> {
    const item = await this.getItem(model, key, false);
    if (item === undefined || item.state === undefined) return null;
    const read = new ItemReader(item, `${model}:${key.pk}`);
    if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the caller');
    return read.map('state') as S;
  }

  protected async getItem(
    model: ReadModelName,
    key: RowKey,
    consistent: boolean,
  ): Promise<Record<string, unknown> | undefined> {
    const table = await this.tableOf(model);
    const { Item } = await this.client
      .send(new GetItemCommand({ TableName: table, Key: marshall(key), ConsistentRead: consistent }))
      .catch((error: unknown) => {
        throw new DynamoDbAdapterError(`GetItem of ${model}:${key.pk} failed`, { cause: error });
      });
    return Item === undefined ? undefined : unmarshall(Item);
  }
}

/** A history row as a posting; the row must be the tenant's. */
export function toPosting(item: Record<string, unknown>, tenantId: string): Posting {
  const read = new ItemReader(item, `account-history:${String(item.pk)}/${String(item.sk)}`);
  if (read.string('tenantId') !== tenantId) throw read.corrupt('tenantId is not the caller');
  const type = read.string('type');
  const direction = read.string('direction');
  if (type !== 'TransferPosted' && type !== 'PendingTransferPosted')
    throw read.corrupt(`unknown type '${type}'`);
  if (direction !== 'debit' && direction !== 'credit') throw read.corrupt(`unknown direction '${direction}'`);
  return {
    accountId: read.string('accountId'),
    transferId: read.string('transferId'),
    postedAt: read.string('postedAt'),
    type,
    direction,
    amount: read.integer('amount'),
    currency: read.string('currency'),
    counterpartyAccountId: read.string('counterpartyAccountId'),
    postedBalanceAfter: item.postedBalanceAfter === null ? null : read.integer('postedBalanceAfter'),
    accountVersion: read.integer('accountVersion'),
    ...(item.stream === undefined ? {} : { stream: read.string('stream') }),
  };
}
