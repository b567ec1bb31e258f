import type { DynamoDBRecord } from 'aws-lambda';
import type { CorrelatedNotifier } from '../adapters/sqs-merchant-notifier.ts';
import {
  decodeStreamRecord,
  positionOf,
  type StreamPosition,
  sortByStreamAndVersion,
} from '../adapters/stream-records.ts';
import type { StoredEvent } from '../domain/events.ts';
import type { ProjectorPorts } from '../domain/projections/projector.ts';
import { emfMetrics, type Metrics } from '../shared/metrics.ts';
import { perContainer } from './container.ts';
import { conflictBackoff, ledgerPorts } from './ledger.ts';
import { merchantNotifier } from './merchants.ts';
import { readModels } from './read-models.ts';

/** How DynamoDB stream records become events (the stream adapter). */
export interface StreamRecords {
  readonly decode: (record: DynamoDBRecord) => StoredEvent;
  readonly positionOf: (record: DynamoDBRecord) => StreamPosition | null;
  readonly sortByStreamAndVersion: (records: readonly DynamoDBRecord[]) => DynamoDBRecord[];
}

/** The events table's stream records. */
export const STREAM_RECORDS: StreamRecords = {
  decode: decodeStreamRecord,
  positionOf,
  sortByStreamAndVersion,
};

/** The projector's dependencies: the event store (to fill gaps), the read models, the backoff, the decoder. */
export interface ProjectorDeps extends ProjectorPorts {
  readonly records: StreamRecords;
  /** Where the alarms' counts go (facts booked over a ledger rule). */
  readonly metrics: Metrics;
  /** Where the business measures go (transfers posted, payments, projector lag); none: not measured. */
  readonly measures?: Metrics;
}

/** The projector's composition root. */
export const projector = perContainer(
  (): ProjectorDeps => ({
    events: ledgerPorts().events,
    readModels: readModels(),
    backoff: conflictBackoff,
    records: STREAM_RECORDS,
    metrics: emfMetrics(),
    measures: emfMetrics(),
  }),
);

/** The relay's dependencies: the notifications queue and the decoder. */
export interface RelayDeps {
  /** The notifications queue; each message carries the outbox event's correlation id. */
  readonly notifier: CorrelatedNotifier;
  readonly records: Pick<StreamRecords, 'decode'>;
}

/** The relay's composition root. */
export const relay = perContainer(
  (): RelayDeps => ({ notifier: merchantNotifier(), records: STREAM_RECORDS }),
);
