// The account-history table as lib/read-models.ts declares it (with its by-tenant-time GSI), and history rows
// as the projection writes them: for the ledger export's adapter test and bench/exports.ts.
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { StoredEvent } from '../../lambdas/domain/events.ts';
import { accountHistory, HISTORY_INDEXES } from '../../lambdas/domain/projections/account-history.ts';
import { PK_SK_KEYS } from './dynamodb-local.ts';

const INDEX = HISTORY_INDEXES.byTenantTime;

/** Creates a history table: `pk`/`sk` and the by-tenant-time GSI (all attributes). */
export async function createHistoryTable(client: DynamoDBClient, name: string): Promise<string> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', INDEX.partitionKey, INDEX.sortKey].map((name) => ({
        AttributeName: name,
        AttributeType: 'S',
      })),
      KeySchema: PK_SK_KEYS.KeySchema,
      GlobalSecondaryIndexes: [
        {
          IndexName: INDEX.name,
          KeySchema: [
            { AttributeName: INDEX.partitionKey, KeyType: 'HASH' },
            { AttributeName: INDEX.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  return name;
}

/** A transfer posted between two accounts. */
export interface PostedTransfer {
  readonly transferId: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: number;
  readonly postedAt: string;
}

/** The history items the projection writes for `transfer` (a leg on each account), with their keys. */
export function historyItems(tenantId: string, transfer: PostedTransfer): Record<string, unknown>[] {
  return [transfer.debitAccountId, transfer.creditAccountId].flatMap((accountId) => {
    const event = {
      type: 'TransferPosted',
      payload: { ...transfer, currency: 'USD', purpose: 'transfer', reference: null },
      tenantId,
      correlationId: 'c',
      causationId: 'c',
      actor: 'bench',
      eventId: `${transfer.transferId}:${accountId}`,
      schemaVersion: 1,
      occurredAt: transfer.postedAt,
      stream: { type: 'account', tenantId, id: accountId },
      version: 2,
    } satisfies StoredEvent;
    return accountHistory
      .apply(null, event)
      .changes.flatMap((change) => (change.kind === 'put' ? [{ ...change.key, ...change.row }] : []));
  });
}

/** Writes items with BatchWriteItem, 25 a request, `parallel` requests at once, retrying what is unprocessed. */
export async function batchWrite(
  client: DynamoDBClient,
  table: string,
  items: readonly Record<string, unknown>[],
  parallel = 8,
): Promise<void> {
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < items.length; i += 25) {
    batches.push(items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: marshall(item) } })));
  }
  const worker = async () => {
    for (let batch = batches.pop(); batch; batch = batches.pop()) {
      let pending: WriteRequest[] = batch;
      while (pending.length > 0) {
        const { UnprocessedItems } = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [table]: pending } }),
        );
        pending = UnprocessedItems?.[table] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
