import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbReadModels } from '../adapters/dynamodb-read-models.ts';
import { type ReadModelsConfig, readModelsConfig } from '../shared/config.ts';
import { dynamoDbClient, perContainer } from './container.ts';

/** The read models a function is granted, on DynamoDB. */
export function buildReadModels(client: DynamoDBClient, config: ReadModelsConfig): DynamoDbReadModels {
  return new DynamoDbReadModels({
    client,
    tables: config.tables,
    pointersTable: config.pointersTable,
    // A warm projector then reads a guard only when something else moved it.
    guardCacheSize: 50_000,
  });
}

/** This container's read models. */
export const readModels = perContainer(() => buildReadModels(dynamoDbClient(), readModelsConfig()));
