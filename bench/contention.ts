/**
 * Eight writers race on one payer account (DynamoDB Local, real adapter, the API's retry policy).
 * Prints one JSON line: how many committed, and how many append attempts were wasted on conflicts.
 */
import { DynamoDbEventStore } from '../lambdas/adapters/dynamodb-event-store.ts';
import { DynamoDbSnapshotStore } from '../lambdas/adapters/dynamodb-snapshot-store.ts';
import { systemClock, UlidGenerator } from '../lambdas/adapters/ids.ts';
import { createTransfer, deposit, openAccount } from '../lambdas/application/commands.ts';
import { retryOnConflict } from '../lambdas/application/retry.ts';
import { conflictBackoff, MAX_COMMAND_ATTEMPTS } from '../lambdas/composition/ledger.ts';
import type { LedgerPorts } from '../lambdas/domain/ports.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  startDynamoDbLocal,
} from '../test/support/dynamodb-local.ts';

const WRITERS = 8;
const ROUNDS = 20;

const ddb = await startDynamoDbLocal();
try {
  await createEventsTable(ddb.client);
  await createSnapshotsTable(ddb.client);
  const events = new DynamoDbEventStore({ client: ddb.client, tableName: 'events' });
  let appends = 0;
  const counted: LedgerPorts = {
    events: {
      readStream: (stream, from) => events.readStream(stream, from),
      append: (writes) => {
        appends++;
        return events.append(writes);
      },
    },
    snapshots: new DynamoDbSnapshotStore({ client: ddb.client, tableName: 'snapshots' }),
    clock: systemClock,
    ids: new UlidGenerator(),
  };
  const ctx = { tenantId: 'bench', correlationId: 'c', causationId: 'c', actor: 'bench' };
  let committed = 0;
  let wasted = 0;
  let gaveUp = 0;
  const latencies: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const payer = await openAccount(counted, ctx, { currency: 'USD' });
    await deposit(counted, ctx, { accountId: payer.id, amount: WRITERS * 100, currency: 'USD' });
    const payees = await Promise.all(
      Array.from({ length: WRITERS }, () => openAccount(counted, ctx, { currency: 'USD' })),
    );
    appends = 0;
    const started = performance.now();
    const outcomes = await Promise.allSettled(
      payees.map((payee) =>
        retryOnConflict(
          () =>
            createTransfer(counted, ctx, {
              debitAccountId: payer.id,
              creditAccountId: payee.id,
              amount: 100,
              currency: 'USD',
            }),
          { maxAttempts: MAX_COMMAND_ATTEMPTS, wait: conflictBackoff },
        ),
      ),
    );
    latencies.push(performance.now() - started);
    committed += outcomes.filter((o) => o.status === 'fulfilled').length;
    gaveUp += outcomes.filter((o) => o.status === 'rejected').length;
    wasted += appends - outcomes.filter((o) => o.status === 'fulfilled').length;
  }
  latencies.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: 'contention',
      writers: WRITERS,
      rounds: ROUNDS,
      maxAttempts: MAX_COMMAND_ATTEMPTS,
      committedRatio: committed / (WRITERS * ROUNDS),
      gaveUp,
      wastedAppendsPerCommit: Number((wasted / Math.max(1, committed)).toFixed(2)),
      roundMs: {
        p50: Math.round(latencies[Math.floor(ROUNDS / 2)] ?? 0),
        max: Math.round(latencies.at(-1) ?? 0),
      },
    }),
  );
} finally {
  await ddb.stop();
}
