import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Chaos } from './chaos.ts';
import { LOCAL_CREDENTIALS } from './dynamodb.ts';
import { passesFilters } from './event-filter.ts';
import { type EventSourceMapping, failedItemIds } from './event-source-mapping.ts';
import type { LambdaPool } from './lambda-pool.ts';
import { sleep } from './sleep.ts';

/** An SQS record as Lambda delivers it. */
export interface LambdaSqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, unknown>;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsPollerOptions {
  readonly mapping: EventSourceMapping;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly endpoint: string;
  readonly region: string;
  readonly pool: LambdaPool;
  readonly log: (line: string) => void;
  /** Concurrent pollers when the mapping sets no `MaximumConcurrency`. */
  readonly defaultConcurrency?: number;
  /**
   * Duplicates deliveries and loses deletes (the message comes back after a short visibility timeout). In
   * serial mode (`quiescence`) one poller takes one message at a time and a duplicate runs after the first
   * delivery, so the worker's calls never interleave and their order is the queue's.
   */
  readonly chaos?: Chaos;
  /** The visibility timeout chaos gives a message whose delete it lost; default 1 s (the queue's is minutes). */
  readonly redeliverAfterSeconds?: number;
}

/** Converts a received message into the record Lambda hands to the function. */
export function toLambdaSqsRecord(message: Message, queueArn: string, region: string): LambdaSqsRecord {
  const messageAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      stringValue: value.StringValue,
      binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: value.DataType,
    };
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: (message.Attributes ?? {}) as Record<string, string>,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** Filters see the body as JSON when it parses, as Lambda event filtering does. */
function filterView(record: LambdaSqsRecord): unknown {
  try {
    return { ...record, body: JSON.parse(record.body) };
  } catch {
    return record;
  }
}

/**
 * Polls one queue for one event source mapping with `MaximumConcurrency` pollers: long polling, batching
 * window, deletes only what succeeded; failed messages come back after the visibility timeout and fauxqs
 * moves them to the DLQ after `maxReceiveCount`.
 */
export function startSqsPoller(options: SqsPollerOptions): { stop(): Promise<void> } {
  const { mapping, pool, log } = options;
  const client = new SQSClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: LOCAL_CREDENTIALS,
    useQueueUrlAsEndpoint: false,
  });
  const abort = new AbortController();
  const chaos = options.chaos?.active('sqs') ? options.chaos : undefined;
  const serial = options.chaos?.quiescence !== undefined;
  const batchSize = serial ? 1 : mapping.batchSize;

  async function receive(max: number, waitSeconds: number): Promise<Message[]> {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    return Messages ?? [];
  }

  async function remove(records: LambdaSqsRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  }

  async function pollOnce(): Promise<void> {
    const messages = await receive(batchSize, 20);
    if (messages.length === 0) return;
    const deadline = Date.now() + mapping.batchingWindowMs;
    while (messages.length < batchSize && Date.now() < deadline && !abort.signal.aborted) {
      const more = await receive(
        batchSize - messages.length,
        Math.min(20, Math.ceil((deadline - Date.now()) / 1000)),
      );
      messages.push(...more);
    }
    const records = messages.map((m) => toLambdaSqsRecord(m, options.queueArn, options.region));
    const passing = records.filter((r) => passesFilters(mapping.filters, filterView(r)));
    // Lambda deletes messages that do not match the filter.
    const dropped = records.filter((r) => !passing.includes(r));
    if (dropped.length > 0) await remove(dropped);
    if (passing.length === 0) return;
    const identity = (r: LambdaSqsRecord) =>
      chaos?.identity(
        `${mapping.logicalId} ${r.attributes.MessageDeduplicationId ?? r.body}`,
        mapping.logicalId,
      ) ?? '';
    const duplicates = chaos ? passing.filter((r) => chaos.pick('sqs', identity(r), ['sqs.duplicate'])) : [];
    // A duplicate reaches another poller at the same time (serial: right after); only the first delivery's
    // outcome settles the message.
    const twice = () =>
      duplicates.length > 0 ? pool.invoke(mapping.functionName, { Records: duplicates }) : undefined;
    const first = pool.invoke(mapping.functionName, { Records: passing });
    const [result] = serial ? [await first, await twice()] : await Promise.all([first, twice()]);
    if (abort.signal.aborted) return;
    if (!result.ok) {
      log(
        `${mapping.logicalId}: ${mapping.functionName} failed: ${result.error.errorType}: ${result.error.errorMessage}`,
      );
      return;
    }
    const failed = mapping.reportBatchItemFailures ? failedItemIds(result.payload) : [];
    if (failed === undefined) return;
    const known = new Set(passing.map((r) => r.messageId));
    if (failed.some((id) => !known.has(id))) return;
    const done = passing.filter((r) => !failed.includes(r.messageId));
    const lost = chaos ? done.filter((r) => chaos.pick('sqs', identity(r), ['sqs.redeliver'])) : [];
    await remove(done.filter((r) => !lost.includes(r)));
    if (lost.length > 0) await comeBack(lost);
  }

  /** The delete is lost: the message is received again once its (shortened) visibility timeout passes. */
  async function comeBack(records: LambdaSqsRecord[]): Promise<void> {
    await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: records.map((r, n) => ({
          Id: String(n),
          ReceiptHandle: r.receiptHandle,
          VisibilityTimeout: options.redeliverAfterSeconds ?? 1,
        })),
      }),
    );
  }

  const concurrency = serial ? 1 : Math.max(1, mapping.maxConcurrency ?? options.defaultConcurrency ?? 2);
  const loops = Array.from({ length: concurrency }, async () => {
    while (!abort.signal.aborted) {
      try {
        await pollOnce();
      } catch (error) {
        if (abort.signal.aborted) return;
        log(`${mapping.logicalId}: polling ${options.queueUrl} failed: ${String(error)}`);
        await sleep(1000, abort.signal);
      }
    }
  });

  return {
    async stop() {
      abort.abort();
      await Promise.allSettled(loops);
      client.destroy();
    },
  };
}
