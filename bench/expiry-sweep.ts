/**
 * The expiry sweep on DynamoDB Local (real adapters, the API's conflict retries): N reservations of one
 * second, five per payer, are projected into the transfer view (so the sparse by-expiry GSI lists them),
 * then swept. `single`: one sweep expires them all. `overlapping`: two sweeps start together over another
 * N. Prints one JSON line: expiries per second, sweep time, pages, and what the overlapping pair did.
 */
import { performance } from 'node:perf_hooks';
import { DynamoDbReadModels } from '../lambdas/adapters/dynamodb-read-models.ts';
import { createTransfer, deposit, openAccount } from '../lambdas/application/commands.ts';
import { type SweepReport, sweepExpiredTransfers } from '../lambdas/application/expiry-sweep.ts';
import { buildDueTransfers } from '../lambdas/composition/expiry.ts';
import { buildLedgerPorts, COMMAND_CONFLICT_RETRY } from '../lambdas/composition/ledger.ts';
import { Projector } from '../lambdas/domain/projections/projector.ts';
import { transferView } from '../lambdas/domain/projections/transfer-view.ts';
import { readModelsConfig } from '../lambdas/shared/config.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  startDynamoDbLocal,
} from '../test/support/dynamodb-local.ts';
import { createTransferViewTables, transferViewEnvironment } from '../test/support/transfer-view-tables.ts';
import { emitResult, progress } from './support/output.ts';
import { round } from './support/stats.ts';

const N = Number(process.env.EXPIRY_BENCH_N ?? 200);
const PER_PAYER = 5;
const ctx = { tenantId: 'bench', correlationId: 'c', causationId: 'c', actor: 'bench' };

const ddb = await startDynamoDbLocal();
try {
  await createEventsTable(ddb.client);
  await createSnapshotsTable(ddb.client);
  await createTransferViewTables(ddb.client);
  const ports = buildLedgerPorts(ddb.client, { eventsTableName: 'events', snapshotsTableName: 'snapshots' });
  const config = readModelsConfig(transferViewEnvironment());
  const projector = new Projector(
    { events: ports.events, readModels: new DynamoDbReadModels({ client: ddb.client, ...config }) },
    [transferView],
  );
  const deps = { ports, due: buildDueTransfers(ddb.client, config), retry: COMMAND_CONFLICT_RETRY };

  /** Projects transfers into the transfer view, as the projector does from the events stream. */
  const project = async (ids: readonly string[]) => {
    for (const id of ids) {
      for (const event of await ports.events.readStream({ type: 'transfer', tenantId: 'bench', id })) {
        await projector.project(event);
      }
    }
  };
  /** N one-second reservations, projected into the transfer view. */
  const reserve = async () => {
    const ids: string[] = [];
    for (let p = 0; p < N / PER_PAYER; p++) {
      const payer = (await openAccount(ports, ctx, { currency: 'USD' })).id;
      const payee = (await openAccount(ports, ctx, { currency: 'USD' })).id;
      await deposit(ports, ctx, { accountId: payer, amount: 1_000, currency: 'USD' });
      for (let i = 0; i < PER_PAYER; i++) {
        const legs = { debitAccountId: payer, creditAccountId: payee, currency: 'USD' };
        ids.push(
          (await createTransfer(ports, ctx, { ...legs, amount: 10, pending: true, timeoutSeconds: 1 })).id,
        );
      }
    }
    await project(ids);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    return ids;
  };
  const timed = async (run: () => Promise<SweepReport[]>) => {
    const started = performance.now();
    const reports = await run();
    return { reports, ms: performance.now() - started };
  };

  progress(`expiry-sweep: ${N} reservations`);
  const firstBatch = await reserve();
  const single = await timed(async () => [await sweepExpiredTransfers(deps, 'single')]);
  // The projector takes the expired ones out of the index before the next batch.
  await project(firstBatch);
  progress(`expiry-sweep: ${N} more, two sweeps at once`);
  await reserve();
  const pair = await timed(() =>
    Promise.all([sweepExpiredTransfers(deps, 'a'), sweepExpiredTransfers(deps, 'b')]),
  );
  const sum = (reports: SweepReport[], key: 'expired' | 'skipped' | 'pages') =>
    reports.reduce((total, r) => total + r[key], 0);
  const [first] = single.reports;
  emitResult('expiry-sweep', {
    bench: 'expiry-sweep',
    due: N,
    single: {
      expired: first?.expired,
      failed: first?.failures.length,
      pages: first?.pages,
      ms: round(single.ms),
      expiriesPerSecond: round((N / single.ms) * 1000),
    },
    overlapping: {
      expired: sum(pair.reports, 'expired'),
      skipped: sum(pair.reports, 'skipped'),
      failed: pair.reports.reduce((total, r) => total + r.failures.length, 0),
      ms: round(pair.ms),
      expiriesPerSecond: round((N / pair.ms) * 1000),
    },
  });
} finally {
  await ddb.stop();
}
