import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  type KeyRecord,
  TenantExistsError,
  TenantNotFoundError,
  type TenantRecord,
  type TenantStore,
  type Tier,
} from '../domain/tenants.ts';

/** The GSI that lists a tenant's keys: partition `tenantId`, sort `keyId` (key items only). */
export const TENANT_KEYS_INDEX = 'byTenant';

const tenantPk = (tenantId: string) => `tenant#${tenantId}`;
const keyPk = (hash: string) => `key#${hash}`;

function toTenant(item: Record<string, AttributeValue>): TenantRecord {
  const { pk: _pk, kind: _kind, ...rest } = unmarshall(item);
  return rest as TenantRecord;
}

function toKey(item: Record<string, AttributeValue>): KeyRecord {
  const { pk: _pk, kind: _kind, ...rest } = unmarshall(item);
  return rest as KeyRecord;
}

/**
 * The tenants table: partition key `pk` only. A tenant is `tenant#<id>`; a key is `key#<hash>` (the
 * authorizer's one strongly consistent GetItem), listed per tenant by the `byTenant` index.
 */
export class DynamoDbTenants implements TenantStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async keyByHash(hash: string): Promise<KeyRecord | undefined> {
    const item = await this.#get(keyPk(hash));
    return item ? toKey(item) : undefined;
  }

  async tenant(tenantId: string): Promise<TenantRecord | undefined> {
    const item = await this.#get(tenantPk(tenantId));
    return item ? toTenant(item) : undefined;
  }

  async #get(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    return Item;
  }

  async createTenant(tenant: TenantRecord): Promise<void> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: marshall({ pk: tenantPk(tenant.tenantId), kind: 'tenant', ...tenant }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new TenantExistsError(tenant.tenantId);
      }
      throw error;
    }
  }

  async setTier(tenantId: string, tier: Tier): Promise<void> {
    await this.#update(tenantPk(tenantId), 'SET tier = :v', tier, `no tenant ${tenantId}`);
  }

  async listTenants(): Promise<TenantRecord[]> {
    const tenants: TenantRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#client.send(
        new ScanCommand({
          TableName: this.#tableName,
          FilterExpression: 'kind = :tenant',
          ExpressionAttributeValues: { ':tenant': { S: 'tenant' } },
          ExclusiveStartKey: start,
        }),
      );
      tenants.push(...(page.Items ?? []).map(toTenant));
      start = page.LastEvaluatedKey;
    } while (start);
    return tenants;
  }

  async createKey(key: KeyRecord): Promise<void> {
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: marshall({ pk: keyPk(key.hash), kind: 'key', ...key }, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async keysOf(tenantId: string): Promise<KeyRecord[]> {
    const keys: KeyRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: TENANT_KEYS_INDEX,
          KeyConditionExpression: 'tenantId = :t',
          ExpressionAttributeValues: { ':t': { S: tenantId } },
          ExclusiveStartKey: start,
        }),
      );
      keys.push(...(page.Items ?? []).map(toKey));
      start = page.LastEvaluatedKey;
    } while (start);
    return keys;
  }

  async setKeyNotAfter(hash: string, notAfter: string): Promise<void> {
    await this.#update(keyPk(hash), 'SET notAfter = :v', notAfter, 'no such key');
  }

  async revokeKey(hash: string, revokedAt: string): Promise<void> {
    await this.#update(keyPk(hash), 'SET revokedAt = :v', revokedAt, 'no such key');
  }

  async #update(pk: string, expression: string, value: string, missing: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { pk: { S: pk } },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':v': { S: value } },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') {
        throw new TenantNotFoundError(missing);
      }
      throw error;
    }
  }
}
