import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type ProjectorDeps, projector as projectorDeps } from '../../composition/streams.ts';
import { type StoredEvent, streamKey } from '../../domain/events.ts';
import { Projector } from '../../domain/projections/projector.ts';
import { logger } from '../../shared/api.ts';
import { LEDGER_METRICS, type Metrics } from '../../shared/metrics.ts';
import { recordBusinessMetrics } from './business-metrics.ts';

const processor = new BatchProcessor(EventType.DynamoDBStreams);

/** An earlier event of the same stream failed in this batch: applying this one now would reorder them. */
export class BlockedByEarlierFailureError extends Error {
  override readonly name = 'BlockedByEarlierFailureError';
}

/**
 * The projector: one function for every read model. The batch is decoded and sorted by stream and
 * version, then projected as a whole (per stream and model, one guarded commit for all the events
 * the guard has not seen; few round trips). Powertools then reports, record by record, what failed:
 * a record that failed, and every later record of its stream, so Lambda retries (and bisects) from
 * there and nothing is applied out of order.
 */
export async function main(
  event: DynamoDBStreamEvent,
  deps: ProjectorDeps,
  context: Context,
): Promise<DynamoDBBatchResponse> {
  const projector = new Projector(deps);
  const { decode, positionOf } = deps.records;
  const inserts = event.Records.filter((record) => record.eventName === 'INSERT');
  alarmOnChangedEvents(
    event.Records.filter((record) => record.eventName !== 'INSERT'),
    deps,
    context.functionName,
  );
  const records = deps.records.sortByStreamAndVersion(inserts);
  /** Per stream: the first version that cannot apply and why (decoding, or projecting). */
  const failures = new Map<string, { version: number; error: unknown }>();
  const decoded: StoredEvent[] = [];
  for (const record of records) {
    const position = positionOf(record);
    const stream = position?.pk ?? `unreadable:${record.eventID}`;
    if (failures.has(stream)) continue;
    try {
      decoded.push(decode(record));
    } catch (error) {
      failures.set(stream, { version: position?.version ?? 0, error });
    }
  }
  // What this attempt applied for the first time: a retried batch measures only what its last attempt did not.
  const applied: StoredEvent[] = [];
  const onApplied = (event: StoredEvent) => applied.push(event);
  for (const [stream, failure] of await projector.projectBatch(decoded, { onApplied }))
    failures.set(stream, failure);
  alarmOnFactsOverRules(decoded, failures, deps.metrics, context.functionName);
  if (deps.measures) recordBusinessMetrics(applied, failures, deps.measures, Date.now());
  logger.info('Projected a batch', {
    events: decoded.length,
    failedStreams: failures.size,
    // The requests these events came from: follow one through the logs by its id.
    correlationIds: [...new Set(decoded.map((e) => e.correlationId))],
  });

  const project = async (record: DynamoDBRecord): Promise<void> => {
    const position = positionOf(record);
    const stream = position?.pk ?? `unreadable:${record.eventID}`;
    const failure = failures.get(stream);
    if (!failure || (position && position.version < failure.version)) return;
    if (position && position.version > failure.version) {
      throw new BlockedByEarlierFailureError(`${stream} failed at version ${failure.version}`);
    }
    logger.error('Projection failed', {
      stream,
      sequenceNumber: record.dynamodb?.SequenceNumber,
      error: failure.error,
    });
    throw failure.error;
  };
  return processPartialResponse({ Records: records }, project, processor, {
    context,
    processInParallel: false,
    // Report every failure as a batch item failure, even all of them: Lambda then retries from the
    // lowest sequence number as it does for a partial failure.
    throwOnFullBatchFailure: false,
  });
}

/**
 * The events table is append-only: nothing in the stack may modify or remove an event item (IAM grants
 * only conditional Puts, and the table's resource policy denies updates and deletes to everyone). A
 * MODIFY or REMOVE on its stream therefore means someone went around that: logged with the item's key,
 * counted (the stack alarms on the first), never projected. `npm run projections:rebuild` and an audit
 * tell what the ledger said before.
 */
function alarmOnChangedEvents(records: readonly DynamoDBRecord[], deps: ProjectorDeps, functionName: string) {
  for (const record of records) {
    const position = deps.records.positionOf(record);
    const details = {
      eventName: record.eventName,
      stream: position?.pk ?? null,
      version: position?.version ?? null,
      sequenceNumber: record.dynamodb?.SequenceNumber ?? null,
    };
    logger.error('An event item was changed or removed: the events table is append-only', details);
    deps.metrics.count(LEDGER_METRICS.eventsChanged, functionName, details);
  }
}

/**
 * A processor fact booked over a ledger rule (a frozen merchant's chargeback, a dispute beyond its balance)
 * is money that moved outside: counted (the stack alarms on the count) and logged, once per transfer, as
 * its transfer stream's event is projected. A batch retried after a failure may count it again: an alarm
 * errs on the loud side.
 */
function alarmOnFactsOverRules(
  events: readonly StoredEvent[],
  failures: ReadonlyMap<string, { readonly version: number }>,
  metrics: Metrics,
  functionName: string,
): void {
  const seen = new Set<string>();
  for (const event of events) {
    if (event.stream.type !== 'transfer' || !('overrode' in event.payload) || !event.payload.overrode)
      continue;
    const key = streamKey(event.stream);
    const failure = failures.get(key);
    // A record delivered twice in one batch counts once; one that did not project counts on its retry.
    if ((failure && event.version >= failure.version) || seen.has(`${key}@${event.version}`)) continue;
    seen.add(`${key}@${event.version}`);
    const details = {
      tenantId: event.stream.tenantId,
      transferId: event.stream.id,
      eventType: event.type,
      overrode: event.payload.overrode,
      amount: event.payload.amount,
      currency: event.payload.currency,
      debitAccountId: event.payload.debitAccountId,
    };
    logger.error('A processor fact was booked over a ledger rule', details);
    metrics.count(LEDGER_METRICS.factsOverrode, functionName, details);
  }
}

export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  logger.addContext(context);
  return main(event, projectorDeps(), context);
};
