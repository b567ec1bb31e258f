import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  DeliveryAttempt,
  DeliveryLog,
  InboxOutcome,
  InboxReceipt,
  MerchantEndpoints,
  WebhookEndpoint,
  WebhookInbox,
} from '../domain/webhooks.ts';

/** Raw payloads are audit material: kept 90 days, then DynamoDB's TTL removes them. */
export const INBOX_RETENTION_SECONDS = 90 * 24 * 3600;
/** Delivery attempts are kept as long as the inbox. */
export const DELIVERY_RETENTION_SECONDS = 90 * 24 * 3600;

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The inbox table: partition key `eventId` (S), TTL `expiresAt`. */
export class DynamoDbWebhookInbox implements WebhookInbox {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async receive(receipt: InboxReceipt): Promise<{ duplicate: boolean }> {
    // One UpdateItem: the first receipt's fields stay as they were, every delivery counts.
    const { Attributes } = await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: { eventId: { S: receipt.eventId } },
        UpdateExpression:
          'SET tenantId = if_not_exists(tenantId, :tenant), #type = if_not_exists(#type, :type), ' +
          'rawBody = if_not_exists(rawBody, :raw), signatureTimestamp = if_not_exists(signatureTimestamp, :ts), ' +
          'firstReceivedAt = if_not_exists(firstReceivedAt, :at), lastReceivedAt = :at, ' +
          'expiresAt = if_not_exists(expiresAt, :ttl) ADD deliveries :one',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: marshall({
          ':tenant': receipt.tenantId,
          ':type': receipt.type,
          ':raw': receipt.rawBody,
          ':ts': receipt.signatureTimestamp,
          ':at': receipt.receivedAt,
          ':ttl': epochSeconds(receipt.receivedAt) + INBOX_RETENTION_SECONDS,
          ':one': 1,
        }),
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return { duplicate: Number(Attributes?.deliveries?.N ?? 1) > 1 };
  }

  async record(eventId: string, outcome: InboxOutcome): Promise<void> {
    const { outcome: kind, at, ...details } = outcome;
    await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: { eventId: { S: eventId } },
        UpdateExpression: 'SET outcome = :outcome, processedAt = :at, outcomeDetails = :details',
        ExpressionAttributeValues: marshall({ ':outcome': kind, ':at': at, ':details': details }),
      }),
    );
  }
}

/** Seals and opens signing secrets (see lambdas/shared/secret-box.ts). */
export interface SecretSealer {
  seal(plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

const endpointKey = (tenantId: string, merchantAccountId: string) => `${tenantId}#${merchantAccountId}`;

/**
 * Endpoints table: partition key `pk` = `<tenantId>#<merchantAccountId>` (one endpoint per merchant).
 * The signing secret is stored sealed (AES-256-GCM under a key kept in Secrets Manager, bound to the
 * item's key), never in the clear: reading the table alone does not let anyone sign as us.
 */
export class DynamoDbMerchantEndpoints implements MerchantEndpoints {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #sealer: SecretSealer;

  constructor(options: {
    readonly client: DynamoDBClient;
    readonly tableName: string;
    readonly sealer: SecretSealer;
  }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#sealer = options.sealer;
  }

  async register(endpoint: WebhookEndpoint, signingSecret: string): Promise<void> {
    const pk = endpointKey(endpoint.tenantId, endpoint.merchantAccountId);
    const sealedSecret = await this.#sealer.seal(signingSecret, `${pk}#${endpoint.endpointId}`);
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: marshall({ pk, ...endpoint, sealedSecret }),
      }),
    );
  }

  async #item(tenantId: string, merchantAccountId: string): Promise<Record<string, unknown> | null> {
    const { Item } = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: { pk: { S: endpointKey(tenantId, merchantAccountId) } },
        ConsistentRead: true,
      }),
    );
    return Item ? unmarshall(Item) : null;
  }

  async get(tenantId: string, merchantAccountId: string): Promise<WebhookEndpoint | null> {
    const item = await this.#item(tenantId, merchantAccountId);
    return item ? endpointOf(item) : null;
  }

  async getForDelivery(tenantId: string, merchantAccountId: string) {
    const item = await this.#item(tenantId, merchantAccountId);
    if (!item) return null;
    const endpoint = endpointOf(item);
    const signingSecret = await this.#sealer.open(
      String(item.sealedSecret),
      `${endpointKey(tenantId, merchantAccountId)}#${endpoint.endpointId}`,
    );
    return { ...endpoint, signingSecret };
  }
}

function endpointOf(item: Record<string, unknown>): WebhookEndpoint {
  return {
    endpointId: String(item.endpointId),
    tenantId: String(item.tenantId),
    merchantAccountId: String(item.merchantAccountId),
    url: String(item.url),
    createdAt: String(item.createdAt),
    secretHint: String(item.secretHint),
  };
}

/**
 * Deliveries table: partition key `pk` = `<tenantId>#<merchantAccountId>`, sort key `sk` =
 * `<at>#<notificationId>#<attempt>` (newest first by querying backwards), TTL `expiresAt`.
 */
export class DynamoDbDeliveryLog implements DeliveryLog {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async record(attempt: DeliveryAttempt): Promise<void> {
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: marshall({
          pk: endpointKey(attempt.tenantId, attempt.merchantAccountId),
          sk: `${attempt.at}#${attempt.notificationId}#${attempt.attempt}`,
          ...attempt,
          expiresAt: epochSeconds(attempt.at) + DELIVERY_RETENTION_SECONDS,
        }),
      }),
    );
  }

  async list(tenantId: string, merchantAccountId: string, after: string | null, limit: number) {
    const pk = endpointKey(tenantId, merchantAccountId);
    const { Items, LastEvaluatedKey } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ScanIndexForward: false,
        Limit: limit,
        ...(after ? { ExclusiveStartKey: { pk: { S: pk }, sk: { S: after } } } : {}),
      }),
    );
    const attempts = (Items ?? []).map((raw): DeliveryAttempt => {
      const item = unmarshall(raw);
      return {
        tenantId: String(item.tenantId),
        merchantAccountId: String(item.merchantAccountId),
        notificationId: String(item.notificationId),
        type: String(item.type),
        attempt: Number(item.attempt),
        outcome: item.outcome as DeliveryAttempt['outcome'],
        statusCode:
          item.statusCode === null || item.statusCode === undefined ? null : Number(item.statusCode),
        error: item.error === null || item.error === undefined ? null : String(item.error),
        durationMs: Number(item.durationMs),
        at: String(item.at),
        url: item.url === null || item.url === undefined ? null : String(item.url),
      };
    });
    return { attempts, next: LastEvaluatedKey?.sk?.S ?? null };
  }
}
