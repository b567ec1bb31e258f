import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { batchWrite } from '../adapters/dynamodb-batch-write.ts';
import { scanEvents } from '../adapters/dynamodb-event-scan.ts';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.ts';
import {
  HAS_SORT_KEY,
  readPointer,
  type Slot,
  type SlotTables,
  writePointer,
} from '../adapters/dynamodb-read-model-pointer.ts';
import { DynamoDbReadModels } from '../adapters/dynamodb-read-models.ts';
import { scanPages } from '../adapters/dynamodb-scan.ts';
import { Projector, projectionOf } from '../domain/projections/projector.ts';
import type { ReadModelName } from '../domain/projections/read-model.ts';
import { TokenBucket } from './token-bucket.ts';

/** Where a rebuild is: emptying the spare table, replaying into it, or catching up after the switch. */
export type RebuildPhase = 'clear' | 'replay' | 'catch-up' | 'done';

/** The resumable state of a rebuild, kept as an item `rebuild#<model>` in the pointers table. */
interface Checkpoint {
  readonly model: ReadModelName;
  readonly target: Slot;
  readonly phase: RebuildPhase;
  /** LastEvaluatedKey of the current phase's Scan (JSON of the attribute map). */
  readonly startKey: string | null;
  readonly cleared: number;
  readonly replayed: number;
  readonly caughtUp: number;
  readonly startedAt: string;
  readonly switchedAt: string | null;
  /** Milliseconds spent replaying, for the throughput figure. */
  readonly replayMs: number;
}

export interface RebuildProgress {
  readonly phase: RebuildPhase;
  readonly done: number;
  /** Estimated total (the table's item count), null when unknown. */
  readonly total: number | null;
  readonly perSecond: number;
}

export interface RebuildOptions {
  readonly dynamodb: DynamoDBClient;
  readonly eventsTable: string;
  readonly model: ReadModelName;
  readonly tables: SlotTables;
  readonly pointersTable: string;
  /** Items (events replayed, rows deleted) per second. @default 500 */
  readonly ratePerSecond?: number;
  /** Items per Scan page. @default 100 */
  readonly pageSize?: number;
  /**
   * Wait after the switch before the catch-up pass, so that every projector has seen the new
   * pointer (its cache lasts 5 s) and writes to the new table.
   * @default 7000
   */
  readonly settleMs?: number;
  /** Forget an unfinished rebuild and start over. @default false */
  readonly restart?: boolean;
  readonly onProgress?: (progress: RebuildProgress) => void;
  readonly log?: (line: string) => void;
}

export interface RebuildReport {
  readonly model: ReadModelName;
  /** The slot that serves now. */
  readonly active: Slot;
  readonly cleared: number;
  readonly replayed: number;
  readonly caughtUp: number;
  /** Replay throughput, events per second. */
  readonly eventsPerSecond: number;
  readonly resumed: boolean;
}

/** The pointer moved while a rebuild was under way: someone else switched. Start over. */
export class RebuildConflictError extends Error {
  override readonly name = 'RebuildConflictError';
}

/**
 * Rebuilds one read model without downtime: empties the spare table (the one the pointer does not
 * name), replays the whole event store into it through the same guarded projection, switches the
 * pointer (no deploy), waits for every projector to see it, then replays once more so that events
 * appended during the rebuild are in. Rate-limited by a token bucket and resumable: the checkpoint
 * (phase + Scan position) is saved after every page.
 */
export async function rebuild(options: RebuildOptions): Promise<RebuildReport> {
  const { dynamodb: client, model } = options;
  const log = options.log ?? (() => {});
  const bucket = new TokenBucket(options.ratePerSecond ?? 500, options.pageSize ?? 100);
  const settleMs = options.settleMs ?? 7_000;
  const saved = options.restart ? null : await loadCheckpoint(options);
  const resumed = saved !== null && saved.phase !== 'done';
  let cp: Checkpoint;
  if (resumed && saved) {
    cp = saved;
    log(`resuming the ${model} rebuild into ${cp.target} at phase ${cp.phase}`);
  } else {
    const active = await readPointer(client, options.pointersTable, model);
    cp = {
      model,
      target: active === 'blue' ? 'green' : 'blue',
      phase: 'clear',
      startKey: null,
      cleared: 0,
      replayed: 0,
      caughtUp: 0,
      startedAt: new Date().toISOString(),
      switchedAt: null,
      replayMs: 0,
    };
    await saveCheckpoint(options, cp);
  }
  const target = options.tables[cp.target];
  const expectedActive: Slot = cp.phase === 'catch-up' ? cp.target : cp.target === 'blue' ? 'green' : 'blue';
  if ((await readPointer(client, options.pointersTable, model)) !== expectedActive) {
    throw new RebuildConflictError(
      `The ${model} pointer no longer names ${expectedActive}; run again with --restart`,
    );
  }

  if (cp.phase === 'clear') {
    const total = await itemCount(client, target);
    for await (const page of scanKeys(client, target, HAS_SORT_KEY[model], cp.startKey, options.pageSize)) {
      await bucket.take(Math.max(1, page.keys.length));
      const deletes = page.keys.map((Key) => ({ table: target, request: { DeleteRequest: { Key } } }));
      await batchWrite(client, deletes, `the rows of ${target}`);
      cp = { ...cp, cleared: cp.cleared + page.keys.length, startKey: page.next };
      await saveCheckpoint(options, cp);
      options.onProgress?.({ phase: 'clear', done: cp.cleared, total, perSecond: 0 });
    }
    cp = { ...cp, phase: 'replay', startKey: null };
    await saveCheckpoint(options, cp);
    log(`${model}: emptied ${target} (${cp.cleared} rows)`);
  }

  if (cp.phase === 'replay') {
    cp = await replayPhase(options, cp, 'replay', bucket);
    const switchedAt = new Date().toISOString();
    await writePointer(client, options.pointersTable, model, cp.target, switchedAt);
    cp = { ...cp, phase: 'catch-up', startKey: null, switchedAt };
    await saveCheckpoint(options, cp);
    log(`${model}: replayed ${cp.replayed} events into ${target}; it serves now`);
  }

  if (cp.phase === 'catch-up') {
    const waited = Date.now() - Date.parse(cp.switchedAt ?? new Date(0).toISOString());
    if (waited < settleMs) await sleep(settleMs - waited);
    cp = await replayPhase(options, cp, 'catch-up', bucket);
    cp = { ...cp, phase: 'done', startKey: null };
    await saveCheckpoint(options, cp);
    log(`${model}: caught up (${cp.caughtUp} events checked after the switch)`);
  }

  return {
    model,
    active: cp.target,
    cleared: cp.cleared,
    replayed: cp.replayed,
    caughtUp: cp.caughtUp,
    eventsPerSecond: cp.replayMs > 0 ? Math.round((cp.replayed / cp.replayMs) * 1000) : 0,
    resumed,
  };
}

/** Replays the event store into the target slot through the model's guarded projection. */
async function replayPhase(
  options: RebuildOptions,
  start: Checkpoint,
  phase: 'replay' | 'catch-up',
  bucket: TokenBucket,
): Promise<Checkpoint> {
  const { dynamodb: client, model } = options;
  const readModels = new DynamoDbReadModels({
    client,
    tables: { [model]: options.tables },
    pointersTable: options.pointersTable,
    pinned: { [model]: start.target },
  });
  const events = new DynamoDbEventStore({ client, tableName: options.eventsTable });
  const total = await itemCount(client, options.eventsTable);
  const startKey = resumeKey(start.startKey);
  let cp = start;
  const began = Date.now();
  let doneHere = 0;
  for await (const page of scanEvents({
    client,
    tableName: options.eventsTable,
    pageSize: options.pageSize ?? 100,
    ...(startKey ? { startKey } : {}),
  })) {
    await bucket.take(Math.max(1, page.events.length));
    const pageStart = Date.now();
    // A projector per page: its guard cache covers a stream's events, which a Scan returns together.
    // The replay fills an empty table (no guards yet); the catch-up meets guards everywhere.
    const projector = new Projector({ events, readModels }, [projectionOf(model)], {
      assumeNewStreams: phase === 'replay',
    });
    const failures = await projector.projectBatch(page.events);
    const [failed] = failures.entries();
    if (failed) {
      const [stream, { version, error }] = failed;
      throw new Error(`Rebuild of ${model} failed at ${stream}@${version}`, { cause: error });
    }
    doneHere += page.events.length;
    const next = savedKey(page.next);
    cp =
      phase === 'replay'
        ? {
            ...cp,
            replayed: cp.replayed + page.events.length,
            startKey: next,
            replayMs: cp.replayMs + (Date.now() - pageStart),
          }
        : { ...cp, caughtUp: cp.caughtUp + page.events.length, startKey: next };
    await saveCheckpoint(options, cp);
    const elapsed = (Date.now() - began) / 1000;
    options.onProgress?.({
      phase,
      done: phase === 'replay' ? cp.replayed : cp.caughtUp,
      total,
      perSecond: elapsed > 0 ? Math.round(doneHere / elapsed) : 0,
    });
  }
  return cp;
}

/** A Scan position as the checkpoint keeps it (JSON), null at the end. */
const savedKey = (key: Record<string, AttributeValue> | undefined): string | null =>
  key ? JSON.stringify(key) : null;

/** The ExclusiveStartKey to resume a Scan from a saved position. */
const resumeKey = (saved: string | null): Record<string, AttributeValue> | undefined =>
  saved ? (JSON.parse(saved) as Record<string, AttributeValue>) : undefined;

/** The keys of a table's items, page by page from the checkpoint `from` (a JSON LastEvaluatedKey). */
async function* scanKeys(
  client: DynamoDBClient,
  table: string,
  sorted: boolean,
  from: string | null,
  pageSize = 100,
): AsyncGenerator<{ keys: Record<string, AttributeValue>[]; next: string | null }> {
  const pages = scanPages(client, {
    TableName: table,
    Limit: pageSize,
    ProjectionExpression: sorted ? '#pk, #sk' : '#pk',
    ExpressionAttributeNames: sorted ? { '#pk': 'pk', '#sk': 'sk' } : { '#pk': 'pk' },
    ExclusiveStartKey: resumeKey(from),
  });
  for await (const { items, next } of pages) {
    yield { keys: items, next: savedKey(next) };
  }
}

async function itemCount(client: DynamoDBClient, table: string): Promise<number | null> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  return Table?.ItemCount ?? null;
}

const checkpointKey = (model: ReadModelName) => ({ pk: { S: `rebuild#${model}` } });

async function loadCheckpoint(options: RebuildOptions): Promise<Checkpoint | null> {
  const { Item } = await options.dynamodb.send(
    new GetItemCommand({
      TableName: options.pointersTable,
      Key: checkpointKey(options.model),
      ConsistentRead: true,
    }),
  );
  return Item ? (unmarshall(Item).checkpoint as Checkpoint) : null;
}

async function saveCheckpoint(options: RebuildOptions, checkpoint: Checkpoint): Promise<void> {
  await options.dynamodb.send(
    new PutItemCommand({
      TableName: options.pointersTable,
      Item: { ...checkpointKey(options.model), ...marshall({ checkpoint }, { removeUndefinedValues: true }) },
    }),
  );
}
