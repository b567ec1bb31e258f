import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The imports table as lib/imports.ts declares it: `pk` (S) + `sk` (S). */
export async function createImportsTable(client: DynamoDBClient, tableName = 'imports'): Promise<string> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  return tableName;
}
