import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, startDynamoDbLocal as startServer } from '../../local/dynamodb.ts';

/** A DynamoDB Local of one's own: in memory, on a free loopback port. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  /** A client for `endpoint` with the SDK's default retries. */
  readonly client: DynamoDBClient;
  /** Stops java and waits for it to exit, so no later instance can meet it on its port. */
  stop(): Promise<void>;
}

/** Starts DynamoDB Local in memory on a free loopback port, as the local runtime does. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const server = await startServer();
  const client = localClient(server.endpoint);
  return {
    endpoint: server.endpoint,
    client,
    stop: async () => {
      client.destroy();
      await server.stop();
    },
  };
}

/** Local credentials: DynamoDB Local only accepts letters and digits in the access key id. */
export function localClient(endpoint: string, maxAttempts?: number): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
}

/** The events table as the CDK stack declares it: `pk` (S) + `version` (N), stream NEW_IMAGE. */
export async function createEventsTable(client: DynamoDBClient, tableName = 'events'): Promise<string> {
  await createTable(client, {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'version', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'version', KeyType: 'RANGE' },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  });
  return tableName;
}

/** The snapshots table as the CDK stack declares it: `pk` (S) + `reducerVersion` (N). */
export async function createSnapshotsTable(client: DynamoDBClient, tableName = 'snapshots'): Promise<string> {
  await createTable(client, {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'reducerVersion', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'reducerVersion', KeyType: 'RANGE' },
    ],
  });
  return tableName;
}

/** The key of most of the stack's tables: `pk` (S) + `sk` (S). */
export const PK_SK_KEYS = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
} satisfies Pick<CreateTableCommandInput, 'AttributeDefinitions' | 'KeySchema'>;

/** A `pk` + `sk` table (the imports table, the deliveries table, …). */
export async function createPkSkTable(client: DynamoDBClient, tableName: string): Promise<string> {
  await createTable(client, { TableName: tableName, ...PK_SK_KEYS });
  return tableName;
}

async function createTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  // DynamoDB Local creates tables synchronously: they are ACTIVE when the call returns.
  await client.send(new CreateTableCommand({ BillingMode: 'PAY_PER_REQUEST', ...input }));
}
