// The expiry sweep on DynamoDB Local: the transfer view's sparse by-expiry GSI as the projector writes
// it, the adapter paging it, and the scheduled handler expiring what is due.
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbReadModels } from '../../../lambdas/adapters/dynamodb-read-models.ts';
import { voidTransfer } from '../../../lambdas/application/commands.ts';
import { buildDueTransfers } from '../../../lambdas/composition/expiry.ts';
import { buildLedgerPorts, COMMAND_CONFLICT_RETRY } from '../../../lambdas/composition/ledger.ts';
import type { LedgerPorts } from '../../../lambdas/domain/ports.ts';
import { Projector } from '../../../lambdas/domain/projections/projector.ts';
import { TRANSFER_VIEW_INDEXES, transferView } from '../../../lambdas/domain/projections/transfer-view.ts';
import { ExpirySweepFailedError, main } from '../../../lambdas/handlers/scheduled/expire-transfers.ts';
import { logger } from '../../../lambdas/shared/api.ts';
import { readModelsConfig } from '../../../lambdas/shared/config.ts';
import {
  createEventsTable,
  createSnapshotsTable,
  type DynamoDbLocal,
  startDynamoDbLocal,
} from '../../support/dynamodb-local.ts';
import { reservation } from '../../support/reservations.ts';
import { createTransferViewTables, transferViewEnvironment } from '../../support/transfer-view-tables.ts';

let ddb: DynamoDbLocal;
let ports: LedgerPorts;
let projector: Projector;
let now = Date.parse('2026-11-30T12:00:00Z');
const ctx = { tenantId: 'tenant-x', correlationId: 'c', causationId: 'c', actor: 'test' };
const env = transferViewEnvironment();
const index = TRANSFER_VIEW_INDEXES.byExpiry;
const plenty = { getRemainingTimeInMillis: () => 60_000 };
const scheduled = (id: string) => ({ id, time: new Date(now).toISOString() });

/** Projects every transfer stream into the transfer view, as the projector does from the events stream. */
async function project(...transferIds: string[]): Promise<void> {
  for (const id of transferIds) {
    for (const event of await ports.events.readStream({ type: 'transfer', tenantId: ctx.tenantId, id })) {
      await projector.project(event);
    }
  }
}

/** The rows of the expiry index (the GSI), by transfer id. */
async function indexed(): Promise<string[]> {
  const page = await ddb.client.send(new ScanCommand({ TableName: 'tv-blue', IndexName: index.name }));
  return (page.Items ?? []).map((item) => String(item.transferId?.S)).sort();
}

const reserve = async (timeoutSeconds: number) =>
  (await reservation(ports, ctx, 100, timeoutSeconds)).pending.id;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  await createEventsTable(ddb.client, 'events');
  await createSnapshotsTable(ddb.client, 'snapshots');
  await createTransferViewTables(ddb.client);
  logger.setLogLevel('SILENT');
  const base = buildLedgerPorts(ddb.client, { eventsTableName: 'events', snapshotsTableName: 'snapshots' });
  ports = { ...base, clock: { now: () => new Date(now) } };
  const config = readModelsConfig(env);
  const readModels = new DynamoDbReadModels({ client: ddb.client, ...config });
  projector = new Projector({ events: ports.events, readModels }, [transferView]);
});

afterAll(async () => {
  await ddb?.stop();
});

describe('the expiry sweep on DynamoDB', () => {
  it('indexes a reservation while it is pending, pages the due ones, expires them, and the index empties', async () => {
    const due = await Promise.all([reserve(10), reserve(20), reserve(30)]);
    const later = await reserve(600);
    const voided = await reserve(10);
    await project(...due, later, voided);
    expect(await indexed()).toEqual([...due, later, voided].sort());
    await voidTransfer(ports, ctx, { transferId: voided });
    await project(voided);
    expect(await indexed()).toEqual([...due, later].sort());

    now += 60_000;
    const deps = {
      ports,
      due: buildDueTransfers(ddb.client, readModelsConfig(env)),
      retry: COMMAND_CONFLICT_RETRY,
    };
    const report = await main(scheduled('run-1'), { ...deps, pageSize: 1 }, plenty);
    expect(report).toMatchObject({ expired: 3, skipped: 0, failed: 0, complete: true });
    // Page size 1: a page per due row, and each shard's last page says there is no more.
    expect(report.pages).toBeGreaterThanOrEqual(3);
    await project(...due, later);
    expect(await indexed()).toEqual([later]);
    // Nothing due any more: a second run (or an overlapping one that saw the rows) does nothing.
    expect(await main(scheduled('run-2'), deps, plenty)).toMatchObject({ expired: 0, skipped: 0 });
  });

  it('reads no page when the invocation is about to time out', async () => {
    const id = await reserve(1);
    await project(id);
    now += 5_000;
    const deps = {
      ports,
      due: buildDueTransfers(ddb.client, readModelsConfig(env)),
      retry: COMMAND_CONFLICT_RETRY,
    };
    const short = { getRemainingTimeInMillis: () => 9_000 };
    expect(await main(scheduled('run-3'), deps, short)).toMatchObject({
      expired: 0,
      pages: 0,
      complete: false,
    });
    expect(await main(scheduled('run-4'), deps, plenty)).toMatchObject({ expired: 1, complete: true });
  });

  it('fails the invocation when a due transfer could not be expired', async () => {
    const id = await reserve(1);
    await project(id);
    now += 5_000;
    const store = ports.events;
    const events = {
      readStream: store.readStream.bind(store),
      append: async () => Promise.reject(new Error('down')),
    };
    const broken = { ...ports, events };
    const deps = {
      ports: broken,
      due: buildDueTransfers(ddb.client, readModelsConfig(env)),
      retry: COMMAND_CONFLICT_RETRY,
    };
    await expect(main(scheduled('run-5'), deps, plenty)).rejects.toThrow(ExpirySweepFailedError);
  });
});
