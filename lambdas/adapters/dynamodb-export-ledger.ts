import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HISTORY_INDEXES, LEDGER_SHARDS, ledgerPartition } from '../domain/projections/account-history.ts';
import type { Posting } from '../domain/projections/read-model.ts';
import { queryItems } from './dynamodb-query.ts';
import { toPosting } from './dynamodb-read-model-queries.ts';

const INDEX = HISTORY_INDEXES.byTenantTime;

interface Row {
  readonly sk: string;
  readonly posting: Posting;
}

/** One shard's rows with a sort key in `(after, to)`, in order, `pageSize` a Query. */
async function* shardRows(
  client: DynamoDBClient,
  table: string,
  partition: string,
  tenantId: string,
  range: { readonly after: string; readonly to: string; readonly pageSize: number },
): AsyncGenerator<Row> {
  const items = queryItems(
    client,
    {
      TableName: table,
      IndexName: INDEX.name,
      // BETWEEN is inclusive: the row at `after` (a resumed cursor) is skipped below; a row at `to` or later
      // has a key above `to` (`<to>#...`), so the Query ends where the period does.
      KeyConditionExpression: '#p = :p AND #s BETWEEN :after AND :to',
      ExpressionAttributeNames: { '#p': INDEX.partitionKey, '#s': INDEX.sortKey },
      ExpressionAttributeValues: {
        ':p': { S: partition },
        ':after': { S: range.after },
        ':to': { S: range.to },
      },
      Limit: range.pageSize,
    },
    `the ledger of ${partition}`,
  );
  for await (const item of items) {
    const sk = String(item[INDEX.sortKey]);
    if (sk !== range.after) yield { sk, posting: toPosting(item, tenantId) };
  }
}

/**
 * The tenant's postings with a by-tenant-time key after `after` (exclusive: a ledger sort key, or an instant
 * for the period's start) and posted before `to`, in (postedAt, transferId, accountId) order: the shards of
 * the index, each keyset-paged, merged by sort key. Memory: one page per shard.
 */
export async function* ledgerPostings(
  client: DynamoDBClient,
  table: string,
  tenantId: string,
  range: { readonly after: string; readonly to: string; readonly pageSize?: number },
): AsyncGenerator<Posting> {
  const bounds = { after: range.after, to: range.to, pageSize: range.pageSize ?? 1000 };
  const shards = Array.from({ length: LEDGER_SHARDS }, (_, shard) =>
    shardRows(client, table, ledgerPartition(tenantId, shard), tenantId, bounds),
  );
  try {
    const heads = await Promise.all(shards.map((rows) => rows.next()));
    for (;;) {
      let next: { shard: number; row: Row } | undefined;
      heads.forEach((head, shard) => {
        if (!head.done && (!next || head.value.sk < next.row.sk)) next = { shard, row: head.value };
      });
      if (!next) return;
      yield next.row.posting;
      heads[next.shard] = await (shards[next.shard] as AsyncGenerator<Row>).next();
    }
  } finally {
    await Promise.all(shards.map((rows) => rows.return(undefined)));
  }
}
