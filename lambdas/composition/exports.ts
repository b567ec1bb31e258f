import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDbExportJobs } from '../adapters/dynamodb-export-jobs.ts';
import { ledgerPostings } from '../adapters/dynamodb-export-ledger.ts';
import { S3ExportUploads } from '../adapters/s3-export-uploads.ts';
import type { ExportJobs } from '../domain/exports.ts';
import type { ReadModelQueries } from '../domain/projections/read-model.ts';
import type { CommandDeps, QueryDeps } from '../shared/api.ts';
import { exportsConfig, s3ClientConfig } from '../shared/config.ts';
import type { ExportDeps } from '../shared/export-runner.ts';
import { dynamoDbClient, perContainer, sqsClient, withoutSdkLogging } from './container.ts';
import { COMMAND_CONFLICT_RETRY, ledgerPorts } from './ledger.ts';
import { readModels } from './read-models.ts';

/** The message of the export queue: which job to run (or go on with). */
export interface ExportMessage {
  readonly tenantId: string;
  readonly exportId: string;
}

/** POST /exports: the jobs, the account view (the account must exist), the queue. */
export interface ExportsApiDeps extends CommandDeps {
  readonly jobs: ExportJobs;
  readonly readModels: ReadModelQueries;
  readonly enqueue: (message: ExportMessage) => Promise<void>;
}

/** GET /exports/{id}: the jobs, and download links. */
export interface ExportsReadDeps extends QueryDeps {
  readonly jobs: ExportJobs;
  /** A GET URL for the file and when it expires. */
  readonly presign: (key: string) => Promise<{ readonly url: string; readonly expiresAt: string }>;
}

/** How long a download link works. */
export const DOWNLOAD_URL_SECONDS = 15 * 60;

// Presigned URLs carry no checksum of a body they cannot know (the SDK's default would).
const s3Client = perContainer(() =>
  withoutSdkLogging(new S3Client({ ...s3ClientConfig(), requestChecksumCalculation: 'WHEN_REQUIRED' })),
);
const uploads = perContainer(() => new S3ExportUploads(s3Client(), exportsConfig().bucketName));
const jobs = perContainer(() => new DynamoDbExportJobs(dynamoDbClient(), exportsConfig().tableName));

const enqueue = async (message: ExportMessage): Promise<void> => {
  const { queueUrl } = exportsConfig();
  if (!queueUrl) throw new Error('EXPORTS_QUEUE_URL is not set on this function');
  await sqsClient().send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }),
  );
};

export const exportsApi = perContainer(
  (): ExportsApiDeps => ({
    ports: ledgerPorts(),
    retry: COMMAND_CONFLICT_RETRY,
    jobs: jobs(),
    readModels: readModels(),
    enqueue,
  }),
);

export const exportsReadApi = perContainer(
  (): ExportsReadDeps => ({
    ports: ledgerPorts(),
    jobs: jobs(),
    presign: async (key) => ({
      url: await uploads().presignedGet(key, DOWNLOAD_URL_SECONDS),
      expiresAt: new Date(Date.now() + DOWNLOAD_URL_SECONDS * 1000).toISOString(),
    }),
  }),
);

/** The export worker: jobs, the bucket, and the history: per account, and the tenant's in time order. */
export const exportWorker = perContainer(
  (): ExportDeps & { readonly enqueue: (message: ExportMessage) => Promise<void> } => ({
    jobs: jobs(),
    uploads: uploads(),
    source: {
      readModels: readModels(),
      ledger: async function* (tenantId, range) {
        yield* ledgerPostings(
          dynamoDbClient(),
          await readModels().tableOf('account-history'),
          tenantId,
          range,
        );
      },
    },
    enqueue,
  }),
);
