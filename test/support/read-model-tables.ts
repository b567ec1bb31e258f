import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HAS_SORT_KEY, type SlotTables } from '../../lambdas/adapters/dynamodb-read-model-pointer.ts';
import { READ_MODELS, type ReadModelName } from '../../lambdas/domain/projections/read-model.ts';
import { ENV, READ_MODEL_TABLES_ENV } from '../../lambdas/shared/env-names.ts';

/** Table names of the read models as a test creates them: `<prefix>-<model>-blue|green` and the pointers. */
export interface ReadModelTableNames {
  readonly pointersTable: string;
  readonly tables: Readonly<Record<ReadModelName, SlotTables>>;
}

/** Creates both tables of every read model and the pointers table, as lib/read-models.ts declares them. */
export async function createReadModelTables(
  client: DynamoDBClient,
  prefix = 'rm',
): Promise<ReadModelTableNames> {
  const tables = {} as Record<ReadModelName, SlotTables>;
  for (const model of READ_MODELS) {
    const names = { blue: `${prefix}-${model}-blue`, green: `${prefix}-${model}-green` };
    for (const name of [names.blue, names.green]) await createTable(client, name, HAS_SORT_KEY[model]);
    tables[model] = names;
  }
  const pointersTable = `${prefix}-pointers`;
  await createTable(client, pointersTable, false);
  return { pointersTable, tables };
}

async function createTable(client: DynamoDBClient, name: string, sorted: boolean): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        ...(sorted ? [{ AttributeName: 'sk', AttributeType: 'S' as const }] : []),
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        ...(sorted ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : []),
      ],
    }),
  );
}

/** The environment lib/read-models.ts sets on a function granted every read model. */
export function readModelEnvironment(names: ReadModelTableNames): Record<string, string> {
  const env: Record<string, string> = { [ENV.readModelPointersTable]: names.pointersTable };
  for (const model of READ_MODELS)
    env[READ_MODEL_TABLES_ENV[model]] = `${names.tables[model].blue},${names.tables[model].green}`;
  return env;
}
