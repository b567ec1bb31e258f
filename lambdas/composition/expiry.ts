import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbDueTransfers } from '../adapters/dynamodb-due-transfers.ts';
import type { ExpirySweepDeps } from '../application/expiry-sweep.ts';
import type { DueTransfers } from '../domain/expiry.ts';
import { type ReadModelsConfig, readModelsConfig } from '../shared/config.ts';
import { dynamoDbClient, perContainer } from './container.ts';
import { COMMAND_CONFLICT_RETRY, ledgerPorts } from './ledger.ts';
import { buildReadModels } from './read-models.ts';

/** The expiry index on DynamoDB: the `by-expiry` GSI of whichever transfer view table serves. */
export function buildDueTransfers(client: DynamoDBClient, config: ReadModelsConfig): DueTransfers {
  const readModels = buildReadModels(client, config);
  return new DynamoDbDueTransfers({ client, table: () => readModels.tableOf('transfer-view') });
}

/** The expiry sweep's composition root: the ledger's ports, the expiry index, the command retries. */
export const expirySweep = perContainer(
  (): ExpirySweepDeps => ({
    ports: ledgerPorts(),
    due: buildDueTransfers(dynamoDbClient(), readModelsConfig()),
    retry: COMMAND_CONFLICT_RETRY,
  }),
);
