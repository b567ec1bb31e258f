/** What the invariants read from the running stack: events, read models, worker records, DLQ contents. */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { scanEvents } from '../../lambdas/adapters/dynamodb-event-scan.ts';
import { readPointer } from '../../lambdas/adapters/dynamodb-read-model-pointer.ts';
import { scanPages } from '../../lambdas/adapters/dynamodb-scan.ts';
import type { StoredEvent } from '../../lambdas/domain/events.ts';
import { READ_MODELS, type ReadModelName } from '../../lambdas/domain/projections/read-model.ts';
import type { Stack } from './harness.ts';
import { dumpRows, perModel, type WorkerRecord } from './invariants.ts';

export async function allEvents(stack: Stack): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const page of scanEvents({ client: stack.ddb, tableName: stack.eventsTable, pageSize: 500 })) {
    events.push(...page.events);
  }
  return events;
}

async function scanAll(stack: Stack, table: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const page of scanPages(stack.ddb, { TableName: table, ConsistentRead: true })) {
    rows.push(...page.items.map((item) => unmarshall(item)));
  }
  return rows;
}

/** Every read model's serving table (the one its pointer names), in canonical rows. */
export async function liveReadModels(stack: Stack): Promise<Record<ReadModelName, string[]>> {
  const dumps = new Map<ReadModelName, string[]>();
  for (const model of READ_MODELS) {
    const slot = await readPointer(stack.ddb, stack.pointersTable, model);
    dumps.set(model, dumpRows(await scanAll(stack, stack.readModels[model][slot])));
  }
  return perModel((model) => dumps.get(model) ?? []);
}

export async function workerRecords(stack: Stack): Promise<WorkerRecord[]> {
  return (await scanAll(stack, stack.idempotencyTable)).map((row) => ({
    id: String(row.id),
    status: String(row.status),
  }));
}

/** When the idempotency locks held now expire (epoch ms, the latest), if any is held. */
export async function locksExpiry(stack: Stack): Promise<number | undefined> {
  const expiries = (await scanAll(stack, stack.idempotencyTable)).flatMap((row) =>
    row.status === 'INPROGRESS' && typeof row.in_progress_expiration === 'number'
      ? [row.in_progress_expiration]
      : [],
  );
  return expiries.length > 0 ? Math.max(...expiries) : undefined;
}

/** The bodies of the messages in a DLQ (read without deleting; they are hidden for a minute). */
export async function deadLetters(stack: Stack, queueUrl: string): Promise<Record<string, unknown>[]> {
  const bodies = new Map<string, Record<string, unknown>>();
  for (let round = 0; round < 50; round++) {
    const { Messages = [] } = await stack.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) {
      try {
        bodies.set(m.MessageId ?? String(bodies.size), JSON.parse(m.Body ?? '{}'));
      } catch {
        bodies.set(m.MessageId ?? String(bodies.size), { body: m.Body });
      }
    }
  }
  return [...bodies.values()];
}
