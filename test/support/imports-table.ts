import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createPkSkTable } from './dynamodb-local.ts';

/** The imports table as lib/imports.ts declares it: `pk` (S) + `sk` (S). */
export function createImportsTable(client: DynamoDBClient, tableName = 'imports'): Promise<string> {
  return createPkSkTable(client, tableName);
}
