import { type DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { PaymentVelocity } from '../domain/payments/risk.ts';
import { DynamoDbAdapterError } from './dynamodb-errors.ts';

/** One item per payer and minute: `pk = <tenant>#<payer>`, `sk = <YYYY-MM-DDTHH:MM>`, a set of payment ids, a TTL. */
export class DynamoDbPaymentVelocity implements PaymentVelocity {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async recordAndCount(input: {
    readonly tenantId: string;
    readonly payerAccountId: string;
    readonly paymentId: string;
    readonly at: Date;
    readonly windowSeconds: number;
  }): Promise<number> {
    const pk = `${input.tenantId}#${input.payerAccountId}`;
    const minute = (date: Date) => date.toISOString().slice(0, 16);
    const expiresAt = Math.floor(input.at.getTime() / 1000) + input.windowSeconds + 3600;
    try {
      // Adding to a set is idempotent: a retried assessment counts its payment once.
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { pk: { S: pk }, sk: { S: minute(input.at) } },
          UpdateExpression: 'ADD paymentIds :id SET expiresAt = :ttl',
          ExpressionAttributeValues: { ':id': { SS: [input.paymentId] }, ':ttl': { N: String(expiresAt) } },
        }),
      );
      const from = minute(new Date(input.at.getTime() - input.windowSeconds * 1000));
      const { Items } = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': { S: pk },
            ':from': { S: from },
            ':to': { S: minute(input.at) },
          },
          ConsistentRead: true,
        }),
      );
      const ids = new Set<string>();
      for (const item of Items ?? []) for (const id of item.paymentIds?.SS ?? []) ids.add(id);
      return ids.size;
    } catch (error) {
      throw new DynamoDbAdapterError(`Velocity count of ${pk} failed`, { cause: error });
    }
  }
}
