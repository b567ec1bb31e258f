import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { StoredEvent } from '../domain/events.ts';
import { storedEventFromItem } from './dynamodb-event-store.ts';
import { scanPages } from './dynamodb-scan.ts';

/** One page of a Scan of the events table; `next` is the LastEvaluatedKey (undefined at the end). */
export interface EventPage {
  readonly events: StoredEvent[];
  readonly next: Record<string, AttributeValue> | undefined;
}

export interface ScanEventsOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Resume after this key (a checkpoint). */
  readonly startKey?: Record<string, AttributeValue>;
  /** Items per page. @default 100 */
  readonly pageSize?: number;
  /** Only events that occurred in [from, to] (ISO instants). */
  readonly occurredBetween?: { readonly from: string; readonly to: string };
}

/**
 * Scans the events table page by page (strongly consistent). Items of one stream share a
 * partition and come out in version order, so a stream's events arrive together and in order.
 */
export async function* scanEvents(options: ScanEventsOptions): AsyncGenerator<EventPage> {
  const filter = options.occurredBetween;
  const pages = scanPages(options.client, {
    TableName: options.tableName,
    Limit: options.pageSize ?? 100,
    ConsistentRead: true,
    ReturnConsumedCapacity: 'TOTAL',
    ExclusiveStartKey: options.startKey,
    ...(filter
      ? {
          // The first item layout holds the instant as ISO text, the lean one as epoch milliseconds.
          FilterExpression: 'occurredAt BETWEEN :from AND :to OR o BETWEEN :fromMs AND :toMs',
          ExpressionAttributeValues: {
            ':from': { S: filter.from },
            ':to': { S: filter.to },
            ':fromMs': { N: String(Date.parse(filter.from)) },
            ':toMs': { N: String(Date.parse(filter.to)) },
          },
        }
      : {}),
  });
  for await (const { items, next } of pages) {
    yield { events: items.map((item) => storedEventFromItem(unmarshall(item))), next };
  }
}
