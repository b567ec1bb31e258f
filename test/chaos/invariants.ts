/**
 * The invariants of a chaos run, as pure functions of what the run collected (the event store, the read
 * models, the workers' idempotency records, the DLQs): each returns its violations, empty when it holds.
 */
import { createHash } from 'node:crypto';
import type { StoredEvent } from '../../lambdas/domain/events.ts';
import { evolvePayment, type PaymentState } from '../../lambdas/domain/payments/payment.ts';
import { Projector } from '../../lambdas/domain/projections/projector.ts';
import { READ_MODELS, type ReadModelName } from '../../lambdas/domain/projections/read-model.ts';
import { evolveTransfer, type TransferState } from '../../lambdas/domain/transfer.ts';
import { canonical, InMemoryReadModels } from '../support/in-memory-read-models.ts';

export const INVARIANTS = [
  'conservation',
  'no-double-posting',
  'payments-terminal',
  'read-models-replay',
  'sqs-once-or-dlq',
  'api-matches-model',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Violation {
  readonly invariant: Invariant;
  readonly detail: string;
}

interface Leg {
  readonly transferId: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly currency: string;
  readonly amount?: number;
  readonly pendingAmount?: number;
}

function legOf(event: StoredEvent): Leg | null {
  switch (event.type) {
    case 'TransferPosted':
    case 'TransferPending':
    case 'PendingTransferPosted':
    case 'PendingTransferVoided':
    case 'PendingTransferExpired':
      return event.payload;
    default:
      return null;
  }
}

/** A value per read model. */
export function perModel<T>(f: (model: ReadModelName) => T): Record<ReadModelName, T> {
  return {
    'account-view': f('account-view'),
    'account-history': f('account-history'),
    'transfer-view': f('transfer-view'),
    'daily-totals': f('daily-totals'),
    'payment-view': f('payment-view'),
  };
}

/** The account a stream belongs to: a shard or replica stream `<id>~<k>` belongs to `<id>`. */
const accountOfStream = (id: string) => id.replace(/~\d+$/, '');

/** Posted and pending deltas of one leg event on the side its stream plays. */
function deltas(event: StoredEvent, leg: Leg): { posted: number; pending: number } {
  switch (event.type) {
    case 'TransferPosted':
      return { posted: leg.amount ?? 0, pending: 0 };
    case 'TransferPending':
      return { posted: 0, pending: leg.amount ?? 0 };
    case 'PendingTransferPosted':
      return { posted: leg.amount ?? 0, pending: -(leg.pendingAmount ?? 0) };
    default:
      return { posted: 0, pending: -(leg.pendingAmount ?? 0) };
  }
}

/**
 * Per tenant and currency, the sum of every account's balance (client and system accounts, every shard
 * and replica stream) is zero, posted and pending alike: credits and debits, folded from the event store.
 */
export function conservation(events: readonly StoredEvent[]): Violation[] {
  const sums = new Map<string, { posted: number; pending: number }>();
  const violations: Violation[] = [];
  for (const event of events) {
    if (event.stream.type !== 'account') continue;
    const leg = legOf(event);
    if (!leg) continue;
    const account = accountOfStream(event.stream.id);
    const sign = account === leg.creditAccountId ? 1 : account === leg.debitAccountId ? -1 : 0;
    if (sign === 0) {
      violations.push({
        invariant: 'conservation',
        detail: `${event.type} of ${leg.transferId} on ${event.stream.id}, which is neither of its accounts`,
      });
      continue;
    }
    const key = `${event.tenantId} ${leg.currency}`;
    const sum = sums.get(key) ?? { posted: 0, pending: 0 };
    const d = deltas(event, leg);
    sums.set(key, { posted: sum.posted + sign * d.posted, pending: sum.pending + sign * d.pending });
  }
  for (const [key, sum] of sums) {
    if (sum.posted !== 0 || sum.pending !== 0) {
      violations.push({
        invariant: 'conservation',
        detail: `${key}: credits − debits sum to ${sum.posted} posted, ${sum.pending} pending (not zero)`,
      });
    }
  }
  return violations;
}

/**
 * No transfer moves money twice: its stream opens once and posts at most once, and every event of it
 * lands exactly one debit leg and one credit leg on the account streams (no more, no fewer).
 */
export function noDoublePosting(events: readonly StoredEvent[]): Violation[] {
  const violations: Violation[] = [];
  const onTransfer = new Map<string, string[]>();
  const legs = new Map<string, number>();
  for (const event of events) {
    const leg = legOf(event);
    if (!leg) continue;
    if (event.stream.type === 'transfer') {
      const key = `${event.tenantId}#${leg.transferId}`;
      onTransfer.set(key, [...(onTransfer.get(key) ?? []), event.type]);
    } else if (event.stream.type === 'account') {
      const side = accountOfStream(event.stream.id) === leg.debitAccountId ? 'debit' : 'credit';
      const key = `${event.tenantId}#${leg.transferId}|${event.type}|${side}`;
      legs.set(key, (legs.get(key) ?? 0) + 1);
    }
  }
  for (const [key, types] of onTransfer) {
    const opened = types.filter((t) => t === 'TransferPosted' || t === 'TransferPending').length;
    const posted = types.filter((t) => t === 'TransferPosted' || t === 'PendingTransferPosted').length;
    const resolved = types.length - opened;
    if (opened !== 1 || posted > 1 || resolved > 1) {
      violations.push({
        invariant: 'no-double-posting',
        detail: `transfer ${key}: events ${types.join(', ')}`,
      });
    }
    for (const type of new Set(types)) {
      for (const side of ['debit', 'credit']) {
        const count = legs.get(`${key}|${type}|${side}`) ?? 0;
        legs.delete(`${key}|${type}|${side}`);
        if (count !== 1) {
          violations.push({
            invariant: 'no-double-posting',
            detail: `transfer ${key}: ${count} ${side} legs of ${type} on the account streams (want 1)`,
          });
        }
      }
    }
  }
  for (const [key, count] of legs) {
    violations.push({
      invariant: 'no-double-posting',
      detail: `${count} account leg(s) ${key} without that event on the transfer's own stream`,
    });
  }
  return violations;
}

/** Folds the events of each stream of `type` (in version order) into its state. */
function fold<S>(events: readonly StoredEvent[], type: string, evolve: (s: S | null, e: StoredEvent) => S) {
  const states = new Map<string, S>();
  const sorted = events.filter((e) => e.stream.type === type).sort((a, b) => a.version - b.version);
  for (const event of sorted) {
    const key = `${event.tenantId}#${event.stream.id}`;
    states.set(key, evolve(states.get(key) ?? null, event));
  }
  return states;
}

/**
 * Every payment ended (settled or failed), and a failed one has finished its compensations: its
 * reservation is released, a capture was refunded, and no refund is left half done.
 */
export function paymentsTerminal(events: readonly StoredEvent[]): Violation[] {
  const violations: Violation[] = [];
  const payments = fold<PaymentState>(events, 'payment', evolvePayment);
  const transfers = fold<TransferState>(events, 'transfer', evolveTransfer);
  const say = (p: PaymentState, detail: string) =>
    violations.push({ invariant: 'payments-terminal', detail: `payment ${p.id} (${p.status}): ${detail}` });
  for (const p of payments.values()) {
    const reserve = p.reserveTransferId ? transfers.get(`${p.tenantId}#${p.reserveTransferId}`) : undefined;
    if (p.status === 'settled') {
      if (reserve?.status !== 'posted') say(p, `reservation ${p.reserveTransferId} is ${reserve?.status}`);
    } else if (p.status === 'failed') {
      if (reserve && reserve.status === 'pending') say(p, `reservation ${reserve.id} still pending`);
      if (reserve?.status === 'posted')
        say(p, `reservation ${reserve.id} posted although the payment failed`);
      if (p.processorPaymentId && !p.captureRefund) say(p, 'captured at the processor, never refunded');
    } else {
      say(p, 'not terminal');
    }
    for (const refund of p.refunds)
      if (refund.status === 'requested') say(p, `refund ${refund.refundId} still requested`);
  }
  return violations;
}

/** Rows of a table in one canonical text: sorted by key, attributes in key order. */
export function dumpRows(rows: readonly Record<string, unknown>[]): string[] {
  const id = (row: Record<string, unknown>) => `${String(row.pk)}\u0000${String(row.sk ?? '')}`;
  return [...rows]
    .sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0))
    .map((row) => JSON.stringify(canonical(row)));
}

/** Replays `events` through the projections into fresh tables: what every read model must hold. */
export async function replay(events: readonly StoredEvent[]): Promise<Record<ReadModelName, string[]>> {
  const tables = new InMemoryReadModels();
  const byStream = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const key = `${event.stream.type}#${event.tenantId}#${event.stream.id}`;
    byStream.set(key, [...(byStream.get(key) ?? []), event]);
  }
  const projector = new Projector({
    events: { readStream: async () => [] },
    readModels: tables,
  });
  for (const list of byStream.values()) {
    for (const event of list.sort((a, b) => a.version - b.version)) await projector.project(event);
  }
  return perModel((model) => dumpRows([...(tables.tables.get(model)?.values() ?? [])]));
}

/** Each live read model (its serving table) equals the replay, row for row. */
export function readModelsMatch(
  replayed: Readonly<Record<ReadModelName, readonly string[]>>,
  live: Readonly<Record<ReadModelName, readonly string[]>>,
): Violation[] {
  const violations: Violation[] = [];
  for (const model of READ_MODELS) {
    const want = new Set(replayed[model]);
    const got = new Set(live[model]);
    const missing = [...want].filter((row) => !got.has(row));
    const extra = [...got].filter((row) => !want.has(row));
    if (missing.length > 0 || extra.length > 0) {
      violations.push({
        invariant: 'read-models-replay',
        detail: `${model}: ${missing.length} row(s) of the replay missing or different, ${extra.length} not in the replay; first: ${missing[0] ?? extra[0]}`,
      });
    }
  }
  return violations;
}

/** The Powertools idempotency record id's hash part for a worker keyed on `[tenant, id]`. */
export function workerKeyHash(tenantId: string, businessId: string): string {
  return createHash('md5')
    .update(JSON.stringify([tenantId, businessId]))
    .digest('base64');
}

export interface WorkerRecord {
  readonly id: string;
  readonly status: string;
}

/**
 * Every message a worker was given was processed once (its idempotency record, keyed on the business id,
 * is COMPLETED) or sits in the worker's DLQ; never both, never neither, and no lock is left IN_PROGRESS.
 */
export function onceOrDlq(input: {
  readonly worker: string;
  readonly tenantId: string;
  /** Business ids that were enqueued (processor event ids; notification ids). */
  readonly expected: readonly string[];
  readonly records: readonly WorkerRecord[];
  /** Business ids of the messages in the DLQ. */
  readonly deadLettered: readonly string[];
}): Violation[] {
  const violations: Violation[] = [];
  const mine = input.records.filter((r) => r.id.startsWith(input.worker));
  const byHash = new Map(mine.map((r) => [r.id.slice(r.id.lastIndexOf('#') + 1), r.status]));
  const dead = new Set(input.deadLettered);
  for (const id of new Set(input.expected)) {
    const status = byHash.get(workerKeyHash(input.tenantId, id));
    const done = status === 'COMPLETED';
    if (done && dead.has(id))
      violations.push({ invariant: 'sqs-once-or-dlq', detail: `${id}: processed and also in the DLQ` });
    if (!done && !dead.has(id)) {
      violations.push({
        invariant: 'sqs-once-or-dlq',
        detail: `${id}: neither processed (${status ?? 'no record'}) nor in the DLQ`,
      });
    }
  }
  for (const record of mine) {
    if (record.status === 'INPROGRESS') {
      violations.push({ invariant: 'sqs-once-or-dlq', detail: `${record.id}: lock left in progress` });
    }
  }
  return violations;
}
