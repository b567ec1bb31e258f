import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { scanEvents } from '../adapters/dynamodb-event-scan.ts';
import { readStreamRange, type StreamBatchInfo } from '../adapters/dynamodb-stream-range.ts';
import { decodeStreamRecord, sortByStreamAndVersion } from '../adapters/stream-records.ts';
import { type StreamRef, streamKey } from '../domain/events.ts';
import { Projector, type ProjectorPorts } from '../domain/projections/projector.ts';

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly streams: DynamoDBStreamsClient;
  /** For the fallback when the stream has trimmed the records: a filtered Scan of the events table. */
  readonly dynamodb: DynamoDBClient;
  readonly eventsTable: string;
  readonly ports: ProjectorPorts;
  /** Stop after this many messages. @default Infinity */
  readonly maxMessages?: number;
  /** Widen the arrival window of a trimmed batch by this much on both sides. @default 5 minutes */
  readonly clockSkewMs?: number;
  readonly log?: (line: string) => void;
}

export interface RedriveReport {
  readonly messages: number;
  /** Batches re-read from the stream, and those re-driven from the event store because the stream had trimmed them. */
  readonly fromStream: number;
  readonly fromEventStore: number;
  readonly events: number;
  /** Messages left in the queue because re-applying failed (the cause is not fixed yet). */
  readonly failed: number;
}

/** A message the on-failure destination did not write. */
export class NotAStreamFailureError extends Error {
  override readonly name = 'NotAStreamFailureError';
}

function batchInfoOf(body: string): StreamBatchInfo {
  const info = (JSON.parse(body) as { DDBStreamBatchInfo?: StreamBatchInfo }).DDBStreamBatchInfo;
  if (!info?.shardId || !info.startSequenceNumber || !info.endSequenceNumber || !info.streamArn) {
    throw new NotAStreamFailureError('The message has no DDBStreamBatchInfo (shard and sequence range)');
  }
  return info;
}

/**
 * Drains the projector's failure queue once the cause is fixed. Each message names a shard and a
 * sequence range, not records: the records are read again from the stream, or, when the stream has
 * trimmed them (24 h), the streams written in that time window are found in the event store and
 * re-driven from it. Either way they go through the same guarded projection (applied once, skipped
 * if already there), and the message is deleted only when all of it applied.
 */
export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const log = options.log ?? (() => {});
  const max = options.maxMessages ?? Number.POSITIVE_INFINITY;
  const report = { messages: 0, fromStream: 0, fromEventStore: 0, events: 0, failed: 0 };
  const seen = new Set<string>();
  while (report.messages < max) {
    const { Messages = [] } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max - report.messages),
        WaitTimeSeconds: 1,
        VisibilityTimeout: 300,
      }),
    );
    const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId ?? '');
      report.messages++;
      try {
        const info = batchInfoOf(message.Body ?? '{}');
        const records = await readStreamRange(options.streams, info);
        const projector = new Projector(options.ports);
        if (records) {
          report.fromStream++;
          for (const record of sortByStreamAndVersion(records)) {
            if (record.eventName !== 'INSERT') continue;
            await projector.project(decodeStreamRecord(record));
            report.events++;
          }
        } else {
          report.fromEventStore++;
          report.events += await fromEventStore(options, projector, info);
        }
        await options.sqs.send(
          new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        log(`redriven ${info.shardId} ${info.startSequenceNumber}..${info.endSequenceNumber}`);
      } catch (error) {
        // Left in the queue: it becomes visible again after the visibility timeout.
        report.failed++;
        log(
          `message ${message.MessageId} not redriven: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
  return report;
}

/** The streams written while the batch arrived (padded for clock skew), each projected from its start. */
async function fromEventStore(
  options: RedriveOptions,
  projector: Projector,
  info: StreamBatchInfo,
): Promise<number> {
  const skew = options.clockSkewMs ?? 5 * 60_000;
  const from = new Date(Date.parse(info.approximateArrivalOfFirstRecord) - skew).toISOString();
  const to = new Date(Date.parse(info.approximateArrivalOfLastRecord) + skew).toISOString();
  const streams = new Map<string, StreamRef>();
  for await (const page of scanEvents({
    client: options.dynamodb,
    tableName: options.eventsTable,
    occurredBetween: { from, to },
  })) {
    for (const event of page.events) streams.set(streamKey(event.stream), event.stream);
  }
  let applied = 0;
  for (const stream of streams.values()) {
    // Projecting a stream's last event makes the guard pull every missing one before it.
    const [last] = (await options.ports.events.readStream(stream)).slice(-1);
    if (!last) continue;
    await projector.project(last);
    applied++;
  }
  return applied;
}
