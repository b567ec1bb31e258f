import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbAdapterError } from './dynamodb-errors.ts';

/**
 * The items of a Query, unmarshalled, page after page. `pageLimit` is asked before each page (so a
 * caller can ask for just what it still needs); a caller that has enough stops iterating and no
 * further page is read. A failure is a DynamoDbAdapterError naming `what`.
 */
export async function* queryItems(
  client: DynamoDBClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
  what: string,
  pageLimit: () => number | undefined = () => input.Limit,
): AsyncGenerator<Record<string, unknown>> {
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client
      .send(new QueryCommand({ ...input, Limit: pageLimit(), ExclusiveStartKey: startKey }))
      .catch((error: unknown) => {
        throw new DynamoDbAdapterError(`Query of ${what} failed`, { cause: error });
      });
    for (const item of page.Items ?? []) yield unmarshall(item);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
