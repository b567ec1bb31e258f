// The audit's reads on a target: the tenant's events and snapshots (Scans), its read models (the same
// queries the API uses), its digests (S3) and the audit key (Secrets Manager).
import {
  type AttributeValue,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ItemReader } from '../lambdas/adapters/dynamodb-errors.ts';
import {
  chainLinkOfItem,
  storedEventFromItem,
  streamOfKey,
} from '../lambdas/adapters/dynamodb-event-item.ts';
import { DynamoDbReadModels } from '../lambdas/adapters/dynamodb-read-models.ts';
import type { AuditSource } from '../lambdas/application/audit.ts';
import { digestKey, parseDigest } from '../lambdas/application/audit-digest.ts';
import type { AccountState } from '../lambdas/domain/account.ts';
import type { AuditedEvent, AuditedSnapshot, AuditedStream, Digest } from '../lambdas/domain/audit-verify.ts';
import { streamKey } from '../lambdas/domain/events.ts';
import type { Posting } from '../lambdas/domain/projections/read-model.ts';
import { accountOfStream } from '../lambdas/domain/shards.ts';
import { AUDIT_OUTPUTS } from '../lambdas/handlers/scheduled/digest-env.ts';
import type { ProjectionTarget } from './projection-target.ts';
import { type OperatorTarget, output } from './target.ts';

async function scanAll(client: DynamoDBClient, input: ScanCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** An event item as the audit sees it: undecodable content is null (a finding), never a crash. */
function audited(raw: Record<string, unknown>): AuditedEvent {
  const version = Number(raw.version);
  try {
    const link = chainLinkOfItem(raw);
    return { version, content: link.content, h: link.h, event: storedEventFromItem(raw) };
  } catch {
    return { version, content: null, h: raw.h instanceof Uint8Array ? raw.h : undefined, event: null };
  }
}

const bytes = (value: unknown) => (value instanceof Uint8Array ? value : undefined);

/** The audit's source on `target` (tables from the projector's environment, bucket and key from outputs). */
export function auditSource(
  target: OperatorTarget,
  tables: ProjectionTarget,
): AuditSource & { key(): Promise<string>; destroy(): void } {
  const client = tables.dynamodb;
  const local = target.local;
  const s3 = new S3Client(
    local ? { ...target.clientConfig('sqs'), forcePathStyle: true } : target.clientConfig('dynamodb'),
  );
  const secrets = new SecretsManagerClient(
    local
      ? { ...target.clientConfig('dynamodb'), endpoint: local.endpoints.secretsManager }
      : target.clientConfig('dynamodb'),
  );
  const readModels = new DynamoDbReadModels({
    client,
    tables: tables.tables,
    pointersTable: tables.pointersTable,
  });
  return {
    async streams(tenantId) {
      const items = await scanAll(client, {
        TableName: tables.eventsTable,
        ConsistentRead: true,
        FilterExpression: 'begins_with(pk, :a) OR begins_with(pk, :t) OR begins_with(pk, :p)',
        ExpressionAttributeValues: {
          ':a': { S: `account#${tenantId}#` },
          ':t': { S: `transfer#${tenantId}#` },
          ':p': { S: `payment#${tenantId}#` },
        },
      });
      const byKey = new Map<string, AuditedStream & { events: AuditedEvent[] }>();
      for (const raw of items) {
        const ref = streamOfKey(String(raw.pk), new ItemReader(raw, String(raw.pk)));
        const stream = byKey.get(streamKey(ref)) ?? { ref, events: [] };
        stream.events.push(audited(raw));
        byKey.set(streamKey(ref), stream);
      }
      for (const stream of byKey.values()) stream.events.sort((a, b) => a.version - b.version);
      return [...byKey.values()];
    },
    async snapshots(tenantId) {
      const items = await scanAll(client, {
        TableName: tables.snapshotsTable,
        ConsistentRead: true,
        FilterExpression: 'tenantId = :t',
        ExpressionAttributeValues: { ':t': { S: tenantId } },
      });
      return items.map((raw): AuditedSnapshot => {
        const read = new ItemReader(raw, `snapshot ${String(raw.pk)}`);
        return {
          stream: streamOfKey(read.string('pk'), read),
          version: read.integer('version'),
          reducerVersion: read.integer('reducerVersion'),
          state: raw.state,
          head: bytes(raw.head),
          mac: bytes(raw.mac),
        };
      });
    },
    async readModels(tenantId, streams) {
      const accounts = streams.filter((s) => s.ref.type === 'account').map((s) => s.ref.id);
      const accountViews = new Map<string, AccountState | null>();
      await Promise.all(
        accounts.map(async (id) => accountViews.set(id, await readModels.account(tenantId, id))),
      );
      const history = new Map<string, Posting[]>();
      for (const accountId of new Set(accounts.map(accountOfStream))) {
        const rows: Posting[] = [];
        for (let more = true; more; ) {
          const last = rows.at(-1);
          const page = await readModels.postings(tenantId, accountId, last ?? null, 1000);
          rows.push(...(page?.rows ?? []));
          more = page?.more === true;
        }
        history.set(accountId, rows);
      }
      return { accountViews, history };
    },
    async digests(tenantId) {
      const bucket = output(target, AUDIT_OUTPUTS.digestBucket);
      const prefix = digestKey(tenantId, '').replace(/\.json$/, '');
      const digests: Digest[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
          digests.push(parseDigest(object.Key, (await body.Body?.transformToString()) ?? ''));
        }
        token = page.NextContinuationToken;
      } while (token);
      return digests;
    },
    async key() {
      const answer = await secrets.send(
        new GetSecretValueCommand({ SecretId: output(target, AUDIT_OUTPUTS.keySecretArn) }),
      );
      if (!answer.SecretString) throw new Error('The audit key secret has no value');
      return answer.SecretString;
    },
    destroy() {
      s3.destroy();
      secrets.destroy();
    },
  };
}
