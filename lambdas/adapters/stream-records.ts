import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { StoredEvent } from '../domain/events.ts';
import { storedEventFromItem } from './dynamodb-event-store.ts';

/** A stream record that is not a well-formed event insert; it can never succeed as it is. */
export class MalformedStreamRecordError extends Error {
  override readonly name = 'MalformedStreamRecordError';
}

/** Where a record sits: its event stream key (`pk`) and version, from the record's Keys. */
export interface StreamPosition {
  readonly pk: string;
  readonly version: number;
}

/** The stream key and version of a record, or null when its Keys are unreadable (a poison record). */
export function positionOf(record: DynamoDBRecord): StreamPosition | null {
  const pk = record.dynamodb?.Keys?.pk?.S;
  const version = Number(record.dynamodb?.Keys?.version?.N);
  return pk !== undefined && Number.isSafeInteger(version) ? { pk, version } : null;
}

/**
 * Records sorted by stream and version. Streams order records per item only, and every event is
 * its own item, so a batch may hold a stream's versions in any order. Unreadable records go last.
 */
export function sortByStreamAndVersion(records: readonly DynamoDBRecord[]): DynamoDBRecord[] {
  return records
    .map((record, index) => ({ record, index, position: positionOf(record) }))
    .sort((a, b) => {
      if (!a.position || !b.position) return a.position ? -1 : b.position ? 1 : a.index - b.index;
      if (a.position.pk !== b.position.pk) return a.position.pk < b.position.pk ? -1 : 1;
      return a.position.version - b.position.version || a.index - b.index;
    })
    .map(({ record }) => record);
}

/** The event an INSERT record carries (NEW_IMAGE), upcast to the current shape. */
export function decodeStreamRecord(record: DynamoDBRecord): StoredEvent {
  if (record.eventName !== 'INSERT') {
    throw new MalformedStreamRecordError(`Record ${record.eventID} is a ${record.eventName}, not an INSERT`);
  }
  const image = record.dynamodb?.NewImage;
  if (image === undefined) throw new MalformedStreamRecordError(`Record ${record.eventID} has no NewImage`);
  // aws-lambda's AttributeValue type is the same JSON shape as the SDK's.
  return storedEventFromItem(unmarshall(image as Record<string, AttributeValue>));
}
