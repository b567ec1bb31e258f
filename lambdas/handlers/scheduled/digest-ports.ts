// The digest function's ports on AWS: the events table's heads by Scan, the digests bucket by PutObject.
// They live beside the handler (not in adapters/) because only this function uses them.
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DigestStore, StreamHeadsSource, TenantHead } from '../../application/audit-digest.ts';
import { splitStreamKey } from '../../domain/events.ts';

/**
 * Every stream's head: a Scan of `pk`, `version` and `h` that keeps the last item of each partition
 * (a partition's items come out together, in version order). Items of unknown shape are skipped.
 */
export function scannedHeads(client: DynamoDBClient, tableName: string): StreamHeadsSource {
  return {
    async *heads(): AsyncGenerator<TenantHead> {
      let last: { pk: string; tenant: TenantHead } | undefined;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            ProjectionExpression: 'pk, version, h',
            ExclusiveStartKey: startKey,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        startKey = page.LastEvaluatedKey;
        for (const raw of page.Items ?? []) {
          const item = unmarshall(raw);
          const parts = typeof item.pk === 'string' ? splitStreamKey(item.pk) : null;
          if (parts === null || typeof item.version !== 'number') continue;
          if (last !== undefined && last.pk !== item.pk) yield last.tenant;
          const h = item.h instanceof Uint8Array ? item.h : undefined;
          last = {
            pk: item.pk,
            tenant: {
              tenantId: parts.tenantId,
              head: { stream: `${parts.type}#${parts.id}`, version: item.version, h },
            },
          };
        }
      } while (startKey);
      if (last !== undefined) yield last.tenant;
    },
  };
}

/** Digests as JSON objects of the Object Lock bucket (its default retention locks each one). */
export function s3Digests(client: S3Client, bucket: string): DigestStore {
  return {
    async put(digest) {
      const { key, ...body } = digest;
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(body),
          ContentType: 'application/json',
          // Object Lock needs an integrity checksum on every PUT.
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    },
  };
}
