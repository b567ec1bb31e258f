import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ExportJob, ExportJobs } from '../domain/exports.ts';
import { DynamoDbAdapterError, isConditionFailed } from './dynamodb-errors.ts';

/** Another run saved the job since this one read it: this run stops (the message is retried). */
export class ExportJobMovedError extends Error {
  override readonly name = 'ExportJobMovedError';
}

const keyOf = (tenantId: string, exportId: string) => ({ pk: `${tenantId}#${exportId}` });

/** Export jobs, one item each (`pk = <tenant>#<exportId>`), saved with a version check. */
export class DynamoDbExportJobs implements ExportJobs {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  async get(tenantId: string, exportId: string): Promise<ExportJob | null> {
    const { Item } = await this.#client
      .send(
        new GetItemCommand({
          TableName: this.#table,
          Key: marshall(keyOf(tenantId, exportId)),
          ConsistentRead: true,
        }),
      )
      .catch((error: unknown) => {
        throw new DynamoDbAdapterError(`GetItem of export ${exportId} failed`, { cause: error });
      });
    if (!Item) return null;
    const item = unmarshall(Item);
    if (item.tenantId !== tenantId) return null;
    return JSON.parse(String(item.job)) as ExportJob;
  }

  async create(job: ExportJob): Promise<ExportJob> {
    try {
      await this.#put(job, 'attribute_not_exists(pk)', {});
      return job;
    } catch (error) {
      if (!(error instanceof ExportJobMovedError)) throw error;
      const stored = await this.get(job.tenantId, job.exportId);
      if (!stored) throw error;
      return stored;
    }
  }

  async save(job: ExportJob, expected: number): Promise<ExportJob> {
    const saved = { ...job, version: expected + 1 };
    await this.#put(saved, 'version = :expected', { ':expected': expected });
    return saved;
  }

  async #put(job: ExportJob, condition: string, values: Record<string, number>): Promise<void> {
    const item = {
      ...keyOf(job.tenantId, job.exportId),
      tenantId: job.tenantId,
      version: job.version,
      job: JSON.stringify(job),
    };
    await this.#client
      .send(
        new PutItemCommand({
          TableName: this.#table,
          Item: marshall(item),
          ConditionExpression: condition,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: marshall(values) } : {}),
        }),
      )
      .catch((error: unknown) => {
        if (isConditionFailed(error)) throw new ExportJobMovedError(`export ${job.exportId} moved`);
        throw new DynamoDbAdapterError(`PutItem of export ${job.exportId} failed`, { cause: error });
      });
  }
}
