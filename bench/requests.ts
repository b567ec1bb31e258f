/**
 * DynamoDB requests per application command, against DynamoDB Local through the real adapters:
 * requests, sequential round trips (requests not overlapping in time) and consumed capacity
 * (ReturnConsumedCapacity: TOTAL, which the adapters send on every request), averaged over
 * REPEATS runs of each command, in the container that set its streams up (`perCommand`) and in one
 * that has loaded nothing yet (`perCommandCold`); and the size of a 1-unit deposit's event item, lean
 * against the first layout. Prints one JSON line. Run: `npm exec -- node bench/requests.ts`.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbEventStore, storedEventFromItem } from '../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../lambdas/adapters/dynamodb-snapshot-store.ts';
import { systemClock, UlidGenerator } from '../lambdas/adapters/ids.ts';
import {
  createTransfer,
  deposit,
  openAccount,
  postTransfer,
  voidTransfer,
  withdraw,
} from '../lambdas/application/commands.ts';
import { getAccount } from '../lambdas/application/queries.ts';
import type { LedgerPorts } from '../lambdas/domain/ports.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  startDynamoDbLocal,
} from '../test/support/dynamodb-local.ts';
import { itemSize, logicalSize } from './support/item-size.ts';
import { legacyItem } from './support/legacy-store.ts';
import { emitResult, progress } from './support/output.ts';
import { type RequestCount, RequestCounter } from './support/request-counter.ts';

const REPEATS = 10;
const ctx = {
  tenantId: 'tenant_bench',
  correlationId: 'req_bench',
  causationId: 'req_bench',
  actor: 'api-key:bench',
};

const ddb = await startDynamoDbLocal();
try {
  await createEventsTable(ddb.client);
  await createSnapshotsTable(ddb.client);
  const counter = new RequestCounter(ddb.client);
  /** A container's ports: its adapters remember what it loaded (recent states, chain heads). */
  const container = (): LedgerPorts => ({
    events: new DynamoDbEventStore({ client: ddb.client, tableName: 'events' }),
    snapshots: new DynamoDbSnapshotStore({ client: ddb.client, tableName: 'snapshots' }),
    clock: systemClock,
    ids: new UlidGenerator(),
  });
  const ports = container();
  const USD = 'USD';
  const opened = async () => (await openAccount(ports, ctx, { currency: USD })).id;
  const funded = async () => {
    const id = await opened();
    await deposit(ports, ctx, { accountId: id, amount: 1_000, currency: USD });
    return id;
  };
  const pending = async () => {
    const [from, to] = [await funded(), await opened()];
    const created = await createTransfer(ports, ctx, {
      debitAccountId: from,
      creditAccountId: to,
      amount: 10,
      currency: USD,
      pending: true,
    });
    return created.id;
  };
  /** Each command: a setup (not counted) and the command on what the setup made (counted). */
  const commands: Record<
    string,
    { setup: () => Promise<string[]>; run: (ids: string[], on?: LedgerPorts) => Promise<unknown> }
  > = {
    openAccount: { setup: async () => [], run: (_, p = ports) => openAccount(p, ctx, { currency: USD }) },
    getAccount: {
      setup: async () => [await funded()],
      run: ([id = ''], p = ports) => getAccount(p, ctx.tenantId, id),
    },
    deposit: {
      setup: async () => [await opened()],
      run: ([id = ''], p = ports) => deposit(p, ctx, { accountId: id, amount: 1, currency: USD }),
    },
    withdraw: {
      setup: async () => [await funded()],
      run: ([id = ''], p = ports) => withdraw(p, ctx, { accountId: id, amount: 1, currency: USD }),
    },
    transfer: {
      setup: async () => [await funded(), await opened()],
      run: ([from = '', to = ''], p = ports) =>
        createTransfer(p, ctx, { debitAccountId: from, creditAccountId: to, amount: 1, currency: USD }),
    },
    pendingTransfer: {
      setup: async () => [await funded(), await opened()],
      run: ([from = '', to = ''], p = ports) =>
        createTransfer(p, ctx, {
          debitAccountId: from,
          creditAccountId: to,
          amount: 1,
          currency: USD,
          pending: true,
        }),
    },
    postPending: {
      setup: async () => [await pending()],
      run: ([id = ''], p = ports) => postTransfer(p, ctx, { transferId: id }),
    },
    voidPending: {
      setup: async () => [await pending()],
      run: ([id = ''], p = ports) => voidTransfer(p, ctx, { transferId: id }),
    },
  };

  type Summary = Omit<RequestCount, 'byCommand' | 'writeUnitsByTable'> & {
    byCommand: Record<string, number>;
  };
  const summary = (counts: readonly RequestCount[]): Summary => {
    const mean = (pick: (c: RequestCount) => number) =>
      Math.round((counts.reduce((sum, c) => sum + pick(c), 0) / counts.length) * 100) / 100;
    const byCommand: Record<string, number> = {};
    for (const c of counts) {
      for (const [command, n] of Object.entries(c.byCommand))
        byCommand[command] = (byCommand[command] ?? 0) + n;
    }
    return {
      requests: mean((c) => c.requests),
      roundTrips: mean((c) => c.roundTrips),
      capacityUnits: mean((c) => c.capacityUnits),
      byCommand: Object.fromEntries(Object.entries(byCommand).map(([command, n]) => [command, n / REPEATS])),
      withoutCapacityRequest: mean((c) => c.withoutCapacityRequest),
    };
  };
  // Warm: the container that set the streams up runs the command (it loaded them before). Cold: a
  // container that has loaded nothing (another Lambda environment, or one just started).
  const perCommand: Record<string, Summary> = {};
  const perCommandCold: Record<string, Summary> = {};
  for (const [name, { setup, run }] of Object.entries(commands)) {
    progress(`${name} ×${REPEATS}`);
    const warm: RequestCount[] = [];
    const cold: RequestCount[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const ids = await setup();
      warm.push((await counter.count(() => run(ids))).count);
      const other = await setup();
      cold.push((await counter.count(() => run(other, container()))).count);
    }
    perCommand[name] = summary(warm);
    perCommandCold[name] = summary(cold);
  }

  // The event item of a 1-unit deposit, as stored, against the same event in the first layout.
  const account = await opened();
  await deposit(ports, ctx, { accountId: account, amount: 1, currency: USD });
  const { Items = [] } = await ddb.client.send(
    new QueryCommand({
      TableName: 'events',
      KeyConditionExpression: 'pk = :pk AND version = :v',
      ExpressionAttributeValues: { ':pk': { S: `account#${ctx.tenantId}#${account}` }, ':v': { N: '2' } },
    }),
  );
  const [stored] = Items;
  if (stored === undefined) throw new Error('The deposit event was not found');
  const event = storedEventFromItem(unmarshall(stored));
  const legacy = legacyItem(event.stream, event.version, event);
  const { pk, version, type } = stored;
  // What the event says, each value once, without names: key, type, ids, instant, actor, payload values.
  const payloadValues = Object.values(marshall(event.payload, { removeUndefinedValues: true }));
  const logical = logicalSize(
    [pk, version, type, stored.e, legacy.occurredAt, stored.c, stored.a, ...payloadValues].flatMap((v) =>
      v ? [v] : [],
    ),
  );
  emitResult('requests', {
    bench: 'requests',
    repeats: REPEATS,
    perCommand,
    perCommandCold,
    depositEventItem: {
      leanBytes: itemSize(stored),
      legacyBytes: itemSize(legacy),
      logicalBytes: logical,
      leanOverLogical: Math.round((itemSize(stored) / logical) * 100) / 100,
      legacyOverLogical: Math.round((itemSize(legacy) / logical) * 100) / 100,
    },
    target: 'dynamodb-local',
  });
} finally {
  await ddb.stop();
}
