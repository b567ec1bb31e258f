import { describe, expect, it } from 'vitest';
import type { LedgerEvent, StoredEvent, StreamType } from '../../../lambdas/domain/events.ts';
import {
  conservation,
  dumpRows,
  noDoublePosting,
  onceOrDlq,
  paymentsTerminal,
  readModelsMatch,
  replay,
  workerKeyHash,
} from '../invariants.ts';

const T = 'tenant-x';
let n = 0;

function stored(type: StreamType, id: string, version: number, event: LedgerEvent): StoredEvent {
  n++;
  return {
    ...event,
    tenantId: T,
    correlationId: 'c',
    causationId: 'c',
    actor: 'test',
    eventId: `e${n}`,
    schemaVersion: 1,
    occurredAt: '2026-11-30T12:00:00.000Z',
    stream: { type, tenantId: T, id },
    version,
  };
}

const legs = (transferId: string, debitAccountId: string, creditAccountId: string) => ({
  transferId,
  debitAccountId,
  creditAccountId,
  currency: 'USD',
});

function opened(id: string, version = 1): StoredEvent {
  return stored('account', id, version, {
    type: 'AccountOpened',
    payload: {
      accountId: id,
      currency: 'USD',
      kind: 'customer',
      flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false },
    },
  });
}

/** A posted transfer as the ledger writes it: its own stream and one leg on each account's stream. */
function posted(id: string, debit: string, credit: string, amount: number, versions: [number, number]) {
  const event: LedgerEvent = {
    type: 'TransferPosted',
    payload: { ...legs(id, debit, credit), amount, purpose: 'transfer', reference: null },
  };
  return [
    stored('transfer', id, 1, event),
    stored('account', debit, versions[0], event),
    stored('account', credit, versions[1], event),
  ];
}

const good = () => [opened('a'), opened('b'), ...posted('t1', 'a', 'b', 100, [2, 2])];

describe('the chaos invariants hold on a clean ledger and fail on a bad one', () => {
  it('conservation: a leg without its other side breaks the per-currency sum', () => {
    expect(conservation(good())).toEqual([]);
    const [, , transfer, debitLeg] = good();
    const bad = [opened('a'), opened('b'), transfer, debitLeg].filter((e) => e !== undefined);
    expect(conservation(bad)).toEqual([
      expect.objectContaining({ invariant: 'conservation', detail: expect.stringContaining('-100 posted') }),
    ]);
  });

  it('conservation: a reservation and its partial post balance, pending and posted alike', () => {
    const reserve: LedgerEvent = {
      type: 'TransferPending',
      payload: { ...legs('t2', 'a', 'b'), amount: 70, purpose: 'transfer', reference: null, expiresAt: null },
    };
    const post: LedgerEvent = {
      type: 'PendingTransferPosted',
      payload: { ...legs('t2', 'a', 'b'), pendingAmount: 70, amount: 30 },
    };
    const held = [...good(), stored('account', 'a', 3, reserve), stored('account', 'b', 3, reserve)];
    expect(conservation(held)).toEqual([]);
    expect(conservation([...held, stored('account', 'a', 4, post), stored('account', 'b', 4, post)])).toEqual(
      [],
    );
    expect(conservation([...held, stored('account', 'a', 4, post)])).toEqual([
      expect.objectContaining({
        detail: 'tenant-x USD: credits − debits sum to -30 posted, 70 pending (not zero)',
      }),
    ]);
  });

  it('conservation: legs on shard streams count for their account; a leg on a stranger stream is reported', () => {
    const onShards = [opened('a'), ...posted('t1', 'a', 'settlement-USD', 5, [2, 1])].map((e) =>
      e.stream.id === 'settlement-USD' ? { ...e, stream: { ...e.stream, id: 'settlement-USD~7' } } : e,
    );
    expect(conservation(onShards)).toEqual([]);
    const stranger = onShards.map((e) =>
      e.stream.id === 'a' && e.version === 2 ? { ...e, stream: { ...e.stream, id: 'c' } } : e,
    );
    expect(conservation(stranger).map((v) => v.detail)).toContain(
      'TransferPosted of t1 on c, which is neither of its accounts',
    );
  });

  it('no double posting: a transfer posted twice, or a leg booked twice, is reported', () => {
    expect(noDoublePosting(good())).toEqual([]);
    const twice = [...good(), ...posted('t1', 'a', 'b', 100, [3, 3])];
    expect(noDoublePosting(twice).map((v) => v.invariant)).toContain('no-double-posting');
    const debitLeg = good().find((e) => e.stream.id === 'a' && e.version === 2);
    const legTwice = debitLeg ? [...good(), { ...debitLeg, version: 3 }] : [];
    expect(noDoublePosting(legTwice)).toEqual([
      expect.objectContaining({ detail: expect.stringContaining('2 debit legs of TransferPosted') }),
    ]);
  });

  it('payments: one left pending, or failed with its reservation still held, is reported', () => {
    const initiated = stored('payment', 'pay_1', 1, {
      type: 'PaymentInitiated',
      payload: {
        paymentId: 'pay_1',
        payerAccountId: 'a',
        merchantAccountId: 'm',
        amount: 100,
        currency: 'USD',
        fee: 2,
        paymentMethod: 'pm_card_visa',
        description: null,
      },
    });
    expect(paymentsTerminal([initiated])).toEqual([
      expect.objectContaining({
        invariant: 'payments-terminal',
        detail: 'payment pay_1 (pending): not terminal',
      }),
    ]);
  });

  it('read models: a row that differs from the replay is reported, equal tables are not', async () => {
    const replayed = await replay(good());
    expect(readModelsMatch(replayed, replayed)).toEqual([]);
    const view = replayed['account-view'];
    const tampered = {
      ...replayed,
      'account-view': [...view.slice(1), (view[0] ?? '').replace('"creditsPosted":0', '"creditsPosted":1')],
    };
    expect(readModelsMatch(replayed, tampered)).toEqual([
      expect.objectContaining({
        invariant: 'read-models-replay',
        detail: expect.stringContaining('account-view'),
      }),
    ]);
    expect(dumpRows([{ pk: 'b' }, { pk: 'a', z: 1, y: 2 }])).toEqual([
      '{"pk":"a","y":2,"z":1}',
      '{"pk":"b"}',
    ]);
  });

  it('SQS: a message neither processed nor dead-lettered, processed and dead-lettered, or left locked is reported', () => {
    const record = (id: string, status: string) => ({ id: `worker.fn#${workerKeyHash(T, id)}`, status });
    const check = (records: { id: string; status: string }[], dead: string[]) =>
      onceOrDlq({ worker: 'worker', tenantId: T, expected: ['e1', 'e2'], records, deadLettered: dead }).map(
        (v) => v.detail,
      );
    expect(check([record('e1', 'COMPLETED')], ['e2'])).toEqual([]);
    expect(check([record('e1', 'COMPLETED')], [])).toEqual([
      'e2: neither processed (no record) nor in the DLQ',
    ]);
    expect(check([record('e1', 'COMPLETED'), record('e2', 'COMPLETED')], ['e2'])).toEqual([
      'e2: processed and also in the DLQ',
    ]);
    expect(check([record('e1', 'COMPLETED'), record('e2', 'INPROGRESS')], [])).toHaveLength(2);
  });
});
