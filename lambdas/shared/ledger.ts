import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fullJitterDelay } from '../adapters/backoff.ts';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../adapters/dynamodb-snapshot-store.ts';
import { systemClock, UlidGenerator } from '../adapters/ids.ts';
import type { LedgerPorts } from '../domain/ports.ts';
import { ledgerConfig } from './config.ts';

let client: DynamoDBClient | undefined;

/** One DynamoDB client per container; endpoint and region come from the standard AWS_* variables. */
export function dynamoDbClient(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}

let ports: LedgerPorts | undefined;

/** The ledger's ports, wired to DynamoDB once per container. */
export function ledgerPorts(): LedgerPorts {
  if (!ports) {
    const config = ledgerConfig();
    ports = {
      events: new DynamoDbEventStore({ client: dynamoDbClient(), tableName: config.eventsTableName }),
      snapshots: new DynamoDbSnapshotStore({
        client: dynamoDbClient(),
        tableName: config.snapshotsTableName,
      }),
      clock: systemClock,
      ids: new UlidGenerator(),
    };
  }
  return ports;
}

/** Full-jitter backoff between conflict retries: up to 10 ms, 20 ms, … capped at 200 ms. */
export function conflictBackoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, fullJitterDelay(attempt - 1, { base: 10, cap: 200 })));
}

/** How many times a command is tried in all before a conflict becomes a 409. */
export const MAX_COMMAND_ATTEMPTS = 5;
