import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ImportHeader } from '../domain/imports.ts';
import type {
  ImportCounts,
  ImportJob,
  ImportJobs,
  RowClaim,
  RowKey,
  RowSettlement,
} from '../domain/imports-ports.ts';
import { DynamoDbRowClaims } from './imports-row-claims.ts';

/**
 * The imports table (partition key `pk`, sort key `sk`, both strings; every key starts with the tenant):
 * `<tenant>#<import>` / `job` (the job and its counts), `chunk#<n>` (a recorded chunk), and
 * `<tenant>#<first import>` / `row#<row id>` (which line of which import claimed a row id, and its outcome;
 * see imports-row-claims.ts).
 */
export class DynamoDbImportJobs implements ImportJobs {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #claims: DynamoDbRowClaims;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#claims = new DynamoDbRowClaims(options.client, options.tableName);
  }

  async create(job: ImportJob): Promise<ImportJob> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: marshall({ ...jobKey(job.tenantId, job.importId), ...job }, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return job;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const stored = await this.get(job.tenantId, job.importId);
      if (!stored) throw error;
      return stored;
    }
  }

  async get(tenantId: string, importId: string): Promise<ImportJob | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: marshall(jobKey(tenantId, importId)),
        ConsistentRead: true,
      }),
    );
    return Item ? toJob(unmarshall(Item)) : undefined;
  }

  async startProcessing(
    job: ImportJob,
    scan: { etag: string; header: ImportHeader; rows: number; chunks: number },
  ): Promise<ImportJob | undefined> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: marshall(jobKey(job.tenantId, job.importId)),
          UpdateExpression:
            'SET #status = :processing, sourceEtag = :etag, #header = :header, #rows = :rows, chunks = :chunks',
          ConditionExpression: '#status = :awaiting OR (#status = :processing AND sourceEtag = :etag)',
          ExpressionAttributeNames: { '#status': 'status', '#header': 'header', '#rows': 'rows' },
          ExpressionAttributeValues: marshall({
            ':processing': 'processing',
            ':awaiting': 'awaiting-upload',
            ':etag': scan.etag,
            ':header': scan.header,
            ':rows': scan.rows,
            ':chunks': scan.chunks,
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toJob(unmarshall(Attributes)) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async fail(job: ImportJob, reason: string): Promise<void> {
    await this.#setStatus(job, 'failed', 'awaiting-upload', { reason });
  }

  async finish(job: ImportJob, errorReportKey: string | null): Promise<void> {
    await this.#setStatus(job, 'done', 'processing', { errorReportKey });
  }

  async #setStatus(job: ImportJob, status: string, from: string, values: Record<string, string | null>) {
    const names = Object.keys(values);
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: marshall(jobKey(job.tenantId, job.importId)),
          UpdateExpression: `SET #status = :to, ${names.map((n) => `${n} = :${n}`).join(', ')}`,
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({
            ':to': status,
            ':from': from,
            ...Object.fromEntries(names.map((n) => [`:${n}`, values[n]])),
          }),
        }),
      );
    } catch (error) {
      // Another invocation moved it first: the same outcome.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recordChunk(job: ImportJob, chunk: number, counts: ImportCounts): Promise<boolean> {
    try {
      await this.#client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table,
                Item: marshall({ ...chunkKey(job, chunk), ...counts }),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.#table,
                Key: marshall(jobKey(job.tenantId, job.importId)),
                UpdateExpression: 'ADD accepted :a, rejected :r, #duplicate :d, chunksDone :one',
                ExpressionAttributeNames: { '#duplicate': 'duplicate' },
                ExpressionAttributeValues: marshall({
                  ':a': counts.accepted,
                  ':r': counts.rejected,
                  ':d': counts.duplicate,
                  ':one': 1,
                }),
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      )
        return false;
      throw error;
    }
  }

  async chunkRecorded(job: ImportJob, chunk: number): Promise<boolean> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: marshall(chunkKey(job, chunk)),
        ConsistentRead: true,
      }),
    );
    return Item !== undefined;
  }

  claimRows(rows: readonly RowKey[], retry: boolean): Promise<RowClaim[]> {
    return this.#claims.claim(rows, retry);
  }

  settleRows(rows: readonly RowSettlement[]): Promise<void> {
    return this.#claims.settle(rows);
  }
}

const jobKey = (tenantId: string, importId: string) => ({ pk: `${tenantId}#${importId}`, sk: 'job' });
const chunkKey = (job: ImportJob, chunk: number) => ({
  pk: `${job.tenantId}#${job.importId}`,
  sk: `chunk#${String(chunk).padStart(8, '0')}`,
});

function toJob(item: Record<string, unknown>): ImportJob {
  const { pk: _pk, sk: _sk, ...job } = item;
  return job as unknown as ImportJob;
}
