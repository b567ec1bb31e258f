import type { SQSRecord } from 'aws-lambda';
import { BUSINESS_METRICS, type Metrics } from '../../shared/metrics.ts';
import { receiveCountOf } from '../../shared/sqs-batch.ts';

/**
 * Runs one queue record's work; when it succeeds on a redelivery (receive count above 1), a failure
 * of an earlier delivery was absorbed by the retry: counted (`FaultsAbsorbed`).
 */
export async function countingAbsorbedFaults<R>(
  metrics: Metrics,
  record: SQSRecord,
  work: () => Promise<R>,
): Promise<R> {
  const result = await work();
  const receiveCount = receiveCountOf(record);
  if (receiveCount > 1) {
    metrics.record(BUSINESS_METRICS.faultsAbsorbed, {
      properties: { messageId: record.messageId, receiveCount },
    });
  }
  return result;
}
