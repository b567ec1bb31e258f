import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbImportJobs } from '../adapters/imports-dynamodb.ts';
import { S3ImportFiles, sqsChunkSender } from '../adapters/imports-s3.ts';
import type { ChunkWorkerDeps, ImportDeps } from '../application/imports.ts';
import { transferIdFor } from '../shared/command-ids.ts';
import { importsConfig, s3ClientConfig } from '../shared/config.ts';
import { dynamoDbClient, perContainer, sqsClient, withoutSdkLogging } from './container.ts';
import { COMMAND_CONFLICT_RETRY, ledgerPorts } from './ledger.ts';

/** One S3 client per container (path-style when the stack runs locally; see s3ClientConfig). */
export const s3Client = perContainer(() =>
  withoutSdkLogging(
    new S3Client({
      forcePathStyle: s3ClientConfig().forcePathStyle,
      // Presigned PUT URLs must not carry a checksum of the (empty) body they were signed with.
      requestChecksumCalculation: 'WHEN_REQUIRED',
    }),
  ),
);

/** The import routes and the validator: the jobs table, the bucket, and (validator) the chunk queue. */
export const importsApp = perContainer((): ImportDeps => {
  const config = importsConfig();
  const queueUrl = config.chunksQueueUrl;
  return {
    jobs: new DynamoDbImportJobs({ client: dynamoDbClient(), tableName: config.tableName }),
    files: new S3ImportFiles({ client: s3Client(), bucketName: config.bucketName }),
    sendChunks: queueUrl
      ? sqsChunkSender(sqsClient(), queueUrl)
      : () => Promise.reject(new Error('This function may not send chunk jobs')),
    now: () => new Date(),
  };
});

/** The chunk worker also books transfers. */
export const importChunkWorker = perContainer(
  (): ChunkWorkerDeps => ({
    ...importsApp(),
    ports: ledgerPorts(),
    retry: COMMAND_CONFLICT_RETRY,
    rowConcurrency: importsConfig().rowConcurrency,
    transferIdFor,
  }),
);
