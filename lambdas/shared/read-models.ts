import { DynamoDbReadModels } from '../adapters/dynamodb-read-models.ts';
import { readModelsConfig } from './config.ts';
import { dynamoDbClient } from './ledger.ts';

let readModels: DynamoDbReadModels | undefined;

/** The read models this function is granted, wired to DynamoDB once per container. */
export function readModelsAdapter(): DynamoDbReadModels {
  if (!readModels) {
    const config = readModelsConfig();
    readModels = new DynamoDbReadModels({
      client: dynamoDbClient(),
      tables: config.tables,
      pointersTable: config.pointersTable,
      // A warm projector then reads a guard only when something else moved it.
      guardCacheSize: 50_000,
    });
  }
  return readModels;
}
