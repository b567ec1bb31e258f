// The projector's business measures count what an attempt newly applied: a stream batch Lambda delivers
// again (after a failure of one stream, or a timeout) does not count its events a second time.
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createTransfer, deposit, openAccount } from '../../../lambdas/application/commands.ts';
import { type StoredEvent, streamKey } from '../../../lambdas/domain/events.ts';
import { GuardMovedError } from '../../../lambdas/domain/projections/read-model.ts';
import { main } from '../../../lambdas/handlers/projectors/projector.ts';
import { logger } from '../../../lambdas/shared/api.ts';
import { emfMetrics } from '../../../lambdas/shared/metrics.ts';
import { lambdaContext } from '../../support/api-events.ts';
import { ctx, inMemoryPorts } from '../../support/in-memory-ports.ts';
import { InMemoryReadModels } from '../../support/in-memory-read-models.ts';

logger.setLogLevel('SILENT');

/** A tenant's ledger: two funded accounts and two transfers between them; its events as stream records. */
async function ledger() {
  const ports = inMemoryPorts();
  const a = (await openAccount(ports, ctx(), { currency: 'USD' })).id;
  const b = (await openAccount(ports, ctx(), { currency: 'USD' })).id;
  await deposit(ports, ctx(), { accountId: a, amount: 1_000, currency: 'USD' });
  await createTransfer(ports, ctx(), { debitAccountId: a, creditAccountId: b, amount: 300, currency: 'USD' });
  await createTransfer(ports, ctx(), { debitAccountId: a, creditAccountId: b, amount: 200, currency: 'USD' });
  const events = ports.events.all();
  const byId = new Map(events.map((event, i) => [`r${i}`, event]));
  const records = [...byId.keys()].map(
    (eventID, i): DynamoDBRecord => ({ eventID, eventName: 'INSERT', dynamodb: { SequenceNumber: `${i}` } }),
  );
  const eventOf = (record: DynamoDBRecord): StoredEvent => {
    const event = byId.get(record.eventID ?? '');
    if (!event) throw new Error(`no event for ${record.eventID}`);
    return event;
  };
  return { ports, events, records, eventOf };
}

/** The projector handler over in-memory read models, keeping each measure as `name=value`. */
function projector(built: Awaited<ReturnType<typeof ledger>>, readModels = new InMemoryReadModels()) {
  const points: string[] = [];
  const measures = emfMetrics((line) => {
    const doc = JSON.parse(line) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };
    const name = doc._aws.CloudWatchMetrics[0]?.Metrics[0]?.Name ?? '';
    points.push(`${name}=${String((doc as unknown as Record<string, unknown>)[name])}`);
  });
  const deps = {
    events: built.ports.events,
    readModels,
    records: {
      decode: built.eventOf,
      positionOf: (record: DynamoDBRecord) => {
        const event = built.eventOf(record);
        return { pk: streamKey(event.stream), version: event.version };
      },
      sortByStreamAndVersion: (records: readonly DynamoDBRecord[]) =>
        [...records].sort((x, y) => {
          const [a, b] = [built.eventOf(x), built.eventOf(y)];
          const [ka, kb] = [streamKey(a.stream), streamKey(b.stream)];
          return ka === kb ? a.version - b.version : ka < kb ? -1 : 1;
        }),
    },
    metrics: emfMetrics(() => {}),
    measures,
  };
  const run = () => main({ Records: built.records }, deps, lambdaContext('projector'));
  /** The measures since the last call, lag left out (it depends on the clock). */
  const taken = () => points.splice(0).filter((p) => !p.startsWith('ProjectorLagMs'));
  return { run, taken, readModels };
}

const TRANSFERS = ['TransfersPosted=1', 'TransfersPosted=1', 'TransfersPosted=1'];

describe('the projector’s measures on a retried batch', () => {
  it('counts each transfer once when the whole batch is delivered again', async () => {
    const built = await ledger();
    const { run, taken } = projector(built);
    expect(await run()).toEqual({ batchItemFailures: [] });
    const first = taken();
    expect(first.filter((p) => p.startsWith('TransfersPosted'))).toEqual(TRANSFERS);
    expect(first).toContain('AmountPosted=1500');
    // Lambda delivers the same records again (a timeout after the commits, say): nothing is new.
    expect(await run()).toEqual({ batchItemFailures: [] });
    expect(taken()).toEqual([]);
  });

  it('counts a transfer whose stream failed in one read model on the retry that applies it, and only then', async () => {
    const built = await ledger();
    const readModels = new InMemoryReadModels();
    const { run, taken } = projector(built, readModels);
    const [failing] = built.events.flatMap((e) =>
      e.stream.type === 'transfer' && e.type === 'TransferPosted'
        ? [{ id: e.stream.id, amount: e.payload.amount }]
        : [],
    );
    if (!failing) throw new Error('no transfer');
    // The transfer view refuses that transfer's commits (a guard that keeps moving): its stream fails, while the
    // daily totals apply it and the other transfers project in full.
    readModels.beforeCommit = (commit) => {
      if (commit.model === 'transfer-view' && commit.key.pk.includes(failing.id))
        throw new GuardMovedError(commit.model, commit.key);
    };
    const firstAttempt = await run();
    expect(firstAttempt.batchItemFailures.length).toBeGreaterThan(0);
    const first = taken().filter((p) => p.startsWith('TransfersPosted'));
    expect(first).toEqual(TRANSFERS.slice(1));
    readModels.beforeCommit = () => {};
    expect(await run()).toEqual({ batchItemFailures: [] });
    expect(taken()).toEqual(['TransfersPosted=1', `AmountPosted=${failing.amount}`]);
  });
});
