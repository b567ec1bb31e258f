import type { Context, ScheduledEvent } from 'aws-lambda';
import {
  type ExpirySweepDeps,
  type SweepReport,
  sweepExpiredTransfers,
} from '../../application/expiry-sweep.ts';
import { expirySweep } from '../../composition/expiry.ts';
import { logger } from '../../shared/api.ts';

/** Time kept in hand when the sweep stops reading pages: one page of expiries must still fit. */
export const SWEEP_TIME_MARGIN_MS = 10_000;

/** Some due transfers could not be expired; they stay in the index and the next sweep tries again. */
export class ExpirySweepFailedError extends Error {
  override readonly name = 'ExpirySweepFailedError';
}

/**
 * The scheduled expiry sweep (EventBridge, every minute): expires every pending transfer past its
 * timeout. It stops reading pages when the invocation is about to run out of time (the next run goes on).
 * Failures are logged one by one and fail the invocation, so the function's Errors metric shows them.
 */
export async function main(
  event: Pick<ScheduledEvent, 'id' | 'time'>,
  deps: ExpirySweepDeps,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<Omit<SweepReport, 'failures'> & { readonly failed: number }> {
  const hasTime = () => context.getRemainingTimeInMillis() > SWEEP_TIME_MARGIN_MS;
  const { failures, ...report } = await sweepExpiredTransfers({ ...deps, hasTime }, event.id);
  for (const failure of failures) logger.error('Pending transfer not expired', { ...failure });
  const summary = { ...report, failed: failures.length };
  logger.info('Expiry sweep', { scheduledAt: event.time, ...summary });
  if (failures.length > 0) {
    throw new ExpirySweepFailedError(
      `${failures.length} due transfer(s) not expired; the next sweep retries`,
    );
  }
  return summary;
}

export const handler = async (event: ScheduledEvent, context: Context) => {
  logger.addContext(context);
  return main(event, expirySweep(), context);
};
