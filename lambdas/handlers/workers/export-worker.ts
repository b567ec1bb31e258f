import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { exportWorker } from '../../composition/exports.ts';
import { logger } from '../../shared/api.ts';
import { runExport } from '../../shared/export-runner.ts';

/** Time kept for the part in flight and its checkpoint when the run pauses before its timeout. */
export const PAUSE_MARGIN_MS = 120_000;

const message = z.object({ tenantId: z.string().min(1), exportId: z.string().min(1) }).strict();
const processor = new BatchProcessor(EventType.SQS);

/**
 * Runs (or resumes) one export job per message. A run near its timeout stops after a part (checkpoint
 * saved) and enqueues the job again, so a job of any size goes on run after run; a crash, or a run that
 * lost the job's version race, throws and the message comes back (DLQ after 5 receives). A message that
 * names no job is dropped.
 */
async function runRecord(record: SQSRecord, context: Context): Promise<void> {
  const parsed = message.safeParse(JSON.parse(record.body));
  if (!parsed.success) {
    logger.error('Export message dropped: not a job', { messageId: record.messageId });
    return;
  }
  const { tenantId, exportId } = parsed.data;
  const deps = exportWorker();
  if (!(await deps.jobs.get(tenantId, exportId))) {
    logger.error('Export message dropped: no such job', { tenantId, exportId });
    return;
  }
  const shouldPause = () => context.getRemainingTimeInMillis() < PAUSE_MARGIN_MS;
  const job = await runExport({ ...deps, shouldPause }, tenantId, exportId);
  logger.info('Export run ended', { tenantId, exportId, status: job.status, rows: job.checkpoint?.rows });
  if (job.status === 'running') await deps.enqueue({ tenantId, exportId });
}

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  return processPartialResponse(event, (record: SQSRecord) => runRecord(record, context), processor, {
    context,
    throwOnFullBatchFailure: false,
  });
};
