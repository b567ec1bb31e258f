import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { type Delay, retryRounds } from './backoff.ts';
import { DynamoDbAdapterError } from './dynamodb-errors.ts';

/** DynamoDB's limit on the requests of one BatchWriteItem. */
export const MAX_BATCH_WRITE_ITEMS = 25;

/** How long unprocessed items are retried: full-jitter backoff, then give up after `retries`. */
export const BATCH_WRITE_RETRY = { retries: 8, base: 50, cap: 1_000 } as const;

/** One request of a batch and the table it goes to. */
export interface TableWrite {
  readonly table: string;
  readonly request: WriteRequest;
}

/**
 * Writes the requests, 25 to a BatchWriteItem, and retries what DynamoDB leaves unprocessed with
 * full-jitter backoff. Unprocessed items left after BATCH_WRITE_RETRY.retries retries, or a failed
 * call, are a DynamoDbAdapterError naming `what`. The requests must be idempotent (puts of
 * deterministic rows, deletes): a retry may repeat one that already applied.
 */
export async function batchWrite(
  client: DynamoDBClient,
  writes: readonly TableWrite[],
  what: string,
  delay?: Delay,
): Promise<void> {
  for (let i = 0; i < writes.length; i += MAX_BATCH_WRITE_ITEMS) {
    await retryRounds(
      writes.slice(i, i + MAX_BATCH_WRITE_ITEMS),
      async (pending) => {
        const { UnprocessedItems } = await client
          .send(new BatchWriteItemCommand({ RequestItems: byTable(pending) }))
          .catch((error: unknown) => {
            throw new DynamoDbAdapterError(`BatchWriteItem of ${what} failed`, { cause: error });
          });
        return tableWrites(UnprocessedItems ?? {});
      },
      BATCH_WRITE_RETRY,
      () =>
        new DynamoDbAdapterError(
          `BatchWriteItem of ${what} left items unprocessed after ${BATCH_WRITE_RETRY.retries} retries`,
        ),
      delay,
    );
  }
}

function byTable(writes: readonly TableWrite[]): Record<string, WriteRequest[]> {
  const requests: Record<string, WriteRequest[]> = {};
  for (const { table, request } of writes) requests[table] = [...(requests[table] ?? []), request];
  return requests;
}

/** The inverse of byTable, in the same order (a table left with no requests drops out). */
function tableWrites(requests: Record<string, WriteRequest[]>): TableWrite[] {
  return Object.entries(requests).flatMap(([table, list]) => list.map((request) => ({ table, request })));
}
