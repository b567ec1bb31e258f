import {
  type AttributeValue,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DynamoDbAdapterError } from './dynamodb-errors.ts';

/** One page of a Scan: its items as DynamoDB returned them, and the key to resume after it (none at the end). */
export interface ScanPage {
  readonly items: Record<string, AttributeValue>[];
  readonly next: Record<string, AttributeValue> | undefined;
}

/**
 * A Scan, page after page, from `input.ExclusiveStartKey` (a checkpoint) to the end. Pages come out
 * whole so that a caller can save `next` after it handled one. A failure is a DynamoDbAdapterError
 * naming the table.
 */
export async function* scanPages(client: DynamoDBClient, input: ScanCommandInput): AsyncGenerator<ScanPage> {
  let startKey = input.ExclusiveStartKey;
  do {
    const page = await client
      .send(new ScanCommand({ ...input, ExclusiveStartKey: startKey }))
      .catch((error: unknown) => {
        throw new DynamoDbAdapterError(`Scan of ${input.TableName} failed`, { cause: error });
      });
    startKey = page.LastEvaluatedKey;
    yield { items: page.Items ?? [], next: startKey };
  } while (startKey);
}
