import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { ScheduledEvent } from 'aws-lambda';
import { type DigestStore, type StreamHeadsSource, writeDigests } from '../../application/audit-digest.ts';
import { perContainer } from '../../composition/container.ts';
import { logger } from '../../shared/api.ts';
import { ledgerConfig, s3ClientConfig } from '../../shared/config.ts';
import { DIGEST_ENV } from './digest-env.ts';
import { s3Digests, scannedHeads } from './digest-ports.ts';

/** What a digest run needs. */
export interface DigestDeps {
  readonly source: StreamHeadsSource;
  readonly store: DigestStore;
  readonly now: () => Date;
}

/**
 * The scheduled digest (EventBridge, hourly by default): one digest per tenant of its stream heads,
 * written to the write-once bucket. A failed run throws (the function's Errors metric alarms); the
 * next run writes a fresh digest, so nothing is retried by hand.
 */
export async function main(event: Pick<ScheduledEvent, 'time'>, deps: DigestDeps) {
  const summary = await writeDigests(deps);
  logger.info('Audit digests written', { scheduledAt: event.time, ...summary });
  return summary;
}

const deps = perContainer((): DigestDeps => {
  const bucket = process.env[DIGEST_ENV.bucket];
  if (!bucket) throw new Error(`Missing environment variable ${DIGEST_ENV.bucket}`);
  return {
    source: scannedHeads(new DynamoDBClient({}), ledgerConfig().eventsTableName),
    store: s3Digests(new S3Client(s3ClientConfig()), bucket),
    now: () => new Date(),
  };
});

export const handler = async (event: ScheduledEvent) => main(event, deps());
