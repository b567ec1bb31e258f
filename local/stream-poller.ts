import { randomUUID } from 'node:crypto';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { type Chaos, canonicalJson } from './chaos.ts';
import type { CheckpointStore } from './checkpoints.ts';
import { LOCAL_CREDENTIALS } from './dynamodb.ts';
import { passesFilters } from './event-filter.ts';
import { type EventSourceMapping, failedItemIds } from './event-source-mapping.ts';
import type { LambdaPool } from './lambda-pool.ts';
import { backoffMs, sleep } from './sleep.ts';

/** A Lambda DynamoDB stream record (what the function receives in `event.Records`). */
export interface LambdaStreamRecord {
  eventID: string;
  eventName: string;
  eventVersion: string;
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  eventSourceARN: string;
  dynamodb: Record<string, unknown> & { SequenceNumber: string; ApproximateCreationDateTime: number };
  userIdentity?: unknown;
}

export interface StreamPollerOptions {
  readonly mapping: EventSourceMapping;
  readonly streamArn: string;
  readonly endpoint: string;
  readonly region: string;
  readonly pool: LambdaPool;
  readonly functionArn: string;
  readonly checkpoints: CheckpointStore;
  /** Sends an on-failure record to the queue with this ARN. */
  readonly sendToQueue: (queueArn: string, body: string) => Promise<void>;
  readonly log: (line: string) => void;
  /** Duplicates, re-delivers and fails batches; serial (`quiescence`): one record a batch, see below. */
  readonly chaos?: Chaos;
}

/** JSON-shaped attribute values: binary as base64, as Lambda delivers them. */
function toJsonShape(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (Array.isArray(value)) return value.map(toJsonShape);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonShape(v)]));
  }
  return value;
}

/** Converts an SDK stream record into the record Lambda hands to the function. */
export function toLambdaRecord(record: StreamRecord, region: string, streamArn: string): LambdaStreamRecord {
  const shaped = toJsonShape(record) as Record<string, unknown>;
  return {
    eventID: String(shaped.eventID),
    eventName: String(shaped.eventName),
    eventVersion: String(shaped.eventVersion ?? '1.1'),
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: streamArn,
    dynamodb: shaped.dynamodb as LambdaStreamRecord['dynamodb'],
    ...(shaped.userIdentity ? { userIdentity: shaped.userIdentity } : {}),
  };
}

interface PendingBatch {
  records: LambdaStreamRecord[];
  retries: number;
  invocations: number;
}

/**
 * Polls one DynamoDB stream for one event source mapping: shards in parent-before-child order,
 * records in order within a shard, a shard blocked while its batch is retried.
 */
export function startStreamPoller(options: StreamPollerOptions): { stop(): Promise<void> } {
  const { mapping, streamArn, pool, log } = options;
  const client = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: LOCAL_CREDENTIALS,
  });
  // The SDK's logger step filters every GetRecords response for a logger that is not there.
  client.middlewareStack.remove('loggerMiddleware');
  const abort = new AbortController();
  const finished = new Set<string>();
  const running = new Map<string, Promise<void>>();
  // Serial mode: one record a batch (a consumer's writes then never depend on batching); shard states for idle.
  const serial = options.chaos?.quiescence;
  const shards = new Map<string, { held: boolean; empty: number }>();
  let [fetchedTotal, wake] = [0, new AbortController()];
  serial?.watch({
    busy: () => [...shards.values()].some((s) => s.held),
    emptyPolls: () => Math.min(...[...shards.values()].map((s) => s.empty)),
    fetched: () => fetchedTotal,
    poke: () => wake.abort(),
  });
  const batchSize = serial ? 1 : mapping.batchSize;

  async function onFailure(batch: PendingBatch, shardId: string, condition: string, functionError: boolean) {
    const first = batch.records[0];
    const last = batch.records[batch.records.length - 1];
    if (!first || !last) return;
    const iso = (r: LambdaStreamRecord) =>
      new Date(r.dynamodb.ApproximateCreationDateTime * 1000).toISOString();
    log(
      `${mapping.logicalId}: ${batch.records.length} record(s) from ${first.dynamodb.SequenceNumber} dropped (${condition})` +
        (mapping.onFailureArn ? ', sent to the on-failure destination' : ''),
    );
    if (!mapping.onFailureArn) return;
    const message = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: options.functionArn,
        condition,
        approximateInvokeCount: batch.invocations,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(functionError ? { functionError: 'Unhandled' } : {}),
      },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first.dynamodb.SequenceNumber,
        endSequenceNumber: last.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: iso(first),
        approximateArrivalOfLastRecord: iso(last),
        batchSize: batch.records.length,
        streamArn,
      },
    };
    await options.sendToQueue(mapping.onFailureArn, JSON.stringify(message));
  }

  function expired(batch: PendingBatch): boolean {
    if (mapping.maxRecordAgeSeconds < 0) return false;
    const oldest = batch.records[0]?.dynamodb.ApproximateCreationDateTime ?? Date.now() / 1000;
    return Date.now() / 1000 - oldest > mapping.maxRecordAgeSeconds;
  }

  const chaos = options.chaos?.active('stream') ? options.chaos : undefined;
  /** A record's identity: the mapping, the item's keys (stream id and version). */
  const idOf = (r: LambdaStreamRecord) =>
    chaos?.identity(`${mapping.logicalId} ${canonicalJson(r.dynamodb.Keys)}`, mapping.logicalId) ?? '';

  /**
   * One invocation, faulted by chaos per record (so batching does not change the decisions): the batch fails
   * before the function when one of its records says so; after a success, records are delivered again at once
   * (duplicate) or after the shard's next batch (re-delivery, into `late`).
   */
  async function invoke(records: LambdaStreamRecord[], late: LambdaStreamRecord[][] | undefined) {
    if (chaos && records.some((r) => chaos.pick('stream', idOf(r), ['stream.fail']))) {
      const error = { errorType: 'ChaosBatchFailure', errorMessage: 'chaos: the batch failed', trace: [] };
      return { ok: false as const, error };
    }
    const result = await pool.invoke(mapping.functionName, { Records: records });
    if (!chaos || !result.ok || abort.signal.aborted) return result;
    const kinds = late
      ? (['stream.duplicate', 'stream.redeliver'] as const)
      : (['stream.duplicate'] as const);
    const again = records.map((r) => chaos.pick('stream', idOf(r), kinds));
    const later = records.filter((_, i) => again[i] === 'stream.redeliver');
    if (later.length > 0) late?.push(later);
    const twice = records.filter((_, i) => again[i] === 'stream.duplicate');
    // A duplicate delivery's outcome is the batch's too: a failure there is retried like any other.
    return twice.length > 0 ? pool.invoke(mapping.functionName, { Records: twice }) : result;
  }

  /** Delivers one batch with retries, partial failures and bisection; returns when every record is settled. */
  async function deliver(
    records: LambdaStreamRecord[],
    shardId: string,
    late?: LambdaStreamRecord[][],
  ): Promise<void> {
    const queue: PendingBatch[] = [{ records, retries: 0, invocations: 0 }];
    while (queue.length > 0 && !abort.signal.aborted) {
      const batch = queue.shift() as PendingBatch;
      while (batch.records.length > 0 && !abort.signal.aborted) {
        if (expired(batch)) {
          await onFailure(batch, shardId, 'RecordAgeExceeded', false);
          break;
        }
        batch.invocations++;
        const result = await invoke(batch.records, late);
        if (abort.signal.aborted) return;
        let failedFrom = 0;
        if (result.ok) {
          const ids = mapping.reportBatchItemFailures ? failedItemIds(result.payload) : [];
          if (ids?.length === 0) break;
          if (ids) {
            // The lowest reported sequence number becomes the checkpoint; an unknown one fails the whole batch.
            const indexes = ids.map((id) => batch.records.findIndex((r) => r.dynamodb.SequenceNumber === id));
            failedFrom = indexes.includes(-1) ? 0 : Math.min(...indexes);
          }
        } else {
          log(
            `${mapping.logicalId}: ${mapping.functionName} failed: ${result.error.errorType}: ${result.error.errorMessage}`,
          );
        }
        batch.records = batch.records.slice(failedFrom);
        if (mapping.bisectOnError && batch.records.length > 1) {
          // Splitting does not count as a retry.
          const half = Math.ceil(batch.records.length / 2);
          queue.unshift(
            { records: batch.records.slice(0, half), retries: batch.retries, invocations: 0 },
            { records: batch.records.slice(half), retries: batch.retries, invocations: 0 },
          );
          break;
        }
        batch.retries++;
        if (mapping.maxRetryAttempts >= 0 && batch.retries > mapping.maxRetryAttempts) {
          await onFailure(batch, shardId, 'RetryAttemptsExhausted', !result.ok);
          break;
        }
        await sleep(backoffMs(batch.retries), abort.signal);
      }
    }
  }

  async function iteratorFor(shardId: string): Promise<string | undefined> {
    const checkpoint = options.checkpoints.get(`${mapping.uuid}/${shardId}`);
    const type: ShardIteratorType = checkpoint ? 'AFTER_SEQUENCE_NUMBER' : mapping.startingPosition;
    const response = await client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: type,
        ...(checkpoint ? { SequenceNumber: checkpoint } : {}),
      }),
      { abortSignal: abort.signal },
    );
    return response.ShardIterator;
  }

  async function pollShard(shardId: string): Promise<void> {
    const key = `${mapping.uuid}/${shardId}`;
    let iterator = await iteratorFor(shardId);
    const buffer: LambdaStreamRecord[] = [];
    /** Batches chaos delivers again after the next one (a lost checkpoint), never re-delivered twice. */
    const late: LambdaStreamRecord[][] = [];
    let bufferSince = 0;
    const state = { held: false, empty: 0 };
    shards.set(shardId, state);
    while (!abort.signal.aborted) {
      let fetched = 0;
      if (iterator) {
        const response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }), {
          abortSignal: abort.signal,
        });
        iterator = response.NextShardIterator;
        for (const raw of response.Records ?? []) {
          fetched++;
          fetchedTotal++;
          state.held = true;
          const record = toLambdaRecord(raw, options.region, streamArn);
          if (passesFilters(mapping.filters, record)) {
            if (buffer.length === 0) bufferSince = Date.now();
            buffer.push(record);
          } else if (buffer.length === 0) {
            options.checkpoints.set(key, record.dynamodb.SequenceNumber);
          }
        }
      }
      const windowOver = serial !== undefined || Date.now() - bufferSince >= mapping.batchingWindowMs;
      while (buffer.length > 0 && (buffer.length >= batchSize || windowOver || !iterator)) {
        const batch = buffer.splice(0, batchSize);
        const earlier = late.splice(0);
        await deliver(batch, shardId, late);
        for (const records of earlier) await deliver(records, shardId);
        if (abort.signal.aborted) return;
        options.checkpoints.set(key, (batch[batch.length - 1] as LambdaStreamRecord).dynamodb.SequenceNumber);
      }
      if (buffer.length === 0) for (const records of late.splice(0)) await deliver(records, shardId);
      state.held = buffer.length > 0;
      if (!iterator && buffer.length === 0) {
        finished.add(shardId);
        shards.delete(shardId);
        return;
      }
      if (fetched === 0 && buffer.length === 0) state.empty++;
      if (fetched === 0) {
        const ms = buffer.length > 0 ? Math.min(250, mapping.batchingWindowMs) : 250;
        if (wake.signal.aborted) wake = new AbortController();
        await sleep(ms, AbortSignal.any([abort.signal, wake.signal]));
      }
    }
  }

  async function listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await client.send(
        new DescribeStreamCommand({
          StreamArn: streamArn,
          ...(start ? { ExclusiveStartShardId: start } : {}),
        }),
        { abortSignal: abort.signal },
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  const main = (async () => {
    while (!abort.signal.aborted) {
      try {
        const shards = await listShards();
        const known = new Set(shards.map((s) => s.ShardId));
        for (const shard of shards) {
          const id = shard.ShardId;
          if (!id || running.has(id) || finished.has(id)) continue;
          const parent = shard.ParentShardId;
          if (parent && known.has(parent) && !finished.has(parent)) continue;
          running.set(
            id,
            pollShard(id)
              .catch((error: unknown) => {
                if (!abort.signal.aborted) log(`${mapping.logicalId}: shard ${id}: ${String(error)}`);
              })
              .finally(() => running.delete(id)),
          );
        }
      } catch (error) {
        if (!abort.signal.aborted) log(`${mapping.logicalId}: DescribeStream failed: ${String(error)}`);
      }
      // Shards split rarely; a new child shard waits at most this long to be picked up.
      await sleep(5000, abort.signal);
    }
  })();

  return {
    async stop() {
      abort.abort();
      await main;
      await Promise.allSettled([...running.values()]);
      client.destroy();
    },
  };
}
