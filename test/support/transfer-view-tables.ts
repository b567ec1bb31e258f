import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TRANSFER_VIEW_INDEXES } from '../../lambdas/domain/projections/transfer-view.ts';
import { READ_MODEL_TABLES_ENV } from '../../lambdas/shared/env-names.ts';

const INDEX = TRANSFER_VIEW_INDEXES.byExpiry;

/** The variables lib/read-models.ts sets on a function granted the transfer view (`<prefix>-blue|green`). */
export function transferViewEnvironment(prefix = 'tv'): Record<string, string> {
  return {
    [READ_MODEL_TABLES_ENV['transfer-view']]: `${prefix}-blue,${prefix}-green`,
    READ_MODEL_POINTERS_TABLE: `${prefix}-pointers`,
  };
}

/**
 * Both transfer view tables with the sparse `by-expiry` GSI as lib/read-models.ts declares it, and a
 * pointers table; names as in {@link transferViewEnvironment}.
 */
export async function createTransferViewTables(client: DynamoDBClient, prefix = 'tv'): Promise<void> {
  for (const name of [`${prefix}-blue`, `${prefix}-green`]) await createTable(client, name, true);
  await createTable(client, `${prefix}-pointers`, false);
}

async function createTable(client: DynamoDBClient, name: string, withIndex: boolean): Promise<void> {
  const string = (AttributeName: string) => ({ AttributeName, AttributeType: 'S' as const });
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        string('pk'),
        ...(withIndex ? [string(INDEX.partitionKey), string(INDEX.sortKey)] : []),
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      ...(withIndex
        ? {
            GlobalSecondaryIndexes: [
              {
                IndexName: INDEX.name,
                KeySchema: [
                  { AttributeName: INDEX.partitionKey, KeyType: 'HASH' },
                  { AttributeName: INDEX.sortKey, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...INDEX.include] },
              },
            ],
          }
        : {}),
    }),
  );
}
