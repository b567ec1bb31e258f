import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { processChunk } from '../../application/imports-work.ts';
import { importChunkWorker } from '../../composition/imports.ts';
import type { ChunkJob } from '../../domain/imports-ports.ts';
import { logger } from '../../shared/api.ts';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const count = z.number().int().nonnegative();
const chunkJob = z.object({
  tenantId: id,
  importId: id,
  etag: z.string().min(1).max(200),
  chunk: z.object({ index: count, start: count, end: count, firstLine: count, lines: count }),
});

/** The chunk worker: books each chunk's rows; a failed chunk is retried (and, after 5 tries, dead-lettered). */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      const job: ChunkJob = chunkJob.parse(JSON.parse(record.body));
      const counts = await processChunk(importChunkWorker(), job);
      logger.info('Import chunk', { importId: job.importId, chunk: job.chunk.index, counts });
    } catch (error) {
      logger.error('Import chunk failed', { messageId: record.messageId, error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
