/** A chunk's rows: claimed together, booked a few at once, settled together. */
import { ACCOUNT } from '../domain/account.ts';
import { ConcurrencyConflictError, LedgerError } from '../domain/errors.ts';
import { type StreamRef, splitStreamKey, streamKey } from '../domain/events.ts';
import {
  type ImportRow,
  isRowId,
  type NumberedLine,
  parseLine,
  type RejectedRow,
} from '../domain/imports.ts';
import type { ImportJob, RowClaim, RowKey, RowSettlement } from '../domain/imports-ports.ts';
import type { LoadCache, Loaded } from '../domain/ports.ts';
import { accountOfStream } from '../domain/shards.ts';
import { TRANSFER } from '../domain/transfer.ts';
import { createTransfer, openTransferStep } from './commands.ts';
import type { ChunkWorkerDeps } from './imports.ts';
import { AccountLocks, mapLimited } from './imports-rows-order.ts';
import { type Change, loadTransfer } from './repository.ts';
import { type ConflictRetryOptions, retryOnConflict } from './retry.ts';
import { LedgerWork } from './unit-of-work.ts';

/** Lines claimed at once: one BatchGetItem and one transaction. */
const CLAIM_SLICE = 100;
/** Rows booked in one unit of work, at most (fewer when their items would not fit one transaction). */
const BATCH_ROWS = 25;
/** Times a batch is decided and committed while other writers move its legs, before its rows go on their own. */
const BATCH_ATTEMPTS = 3;
/** DynamoDB's limit on the items of one TransactWriteItems. */
const MAX_TRANSACTION_ITEMS = 100;
/**
 * The most items one row adds to a transaction: its transfer's event, and on each leg its event plus
 * either a version check (a stream that exists) or a system shard's opening event.
 */
const ROW_ITEMS = 5;

export type RowResult =
  | { readonly outcome: 'accepted' }
  | { readonly outcome: 'rejected' | 'duplicate'; readonly report: RejectedRow };

/** A line to book, or one refused before booking. */
type ParsedLine = Exclude<ReturnType<typeof parseLine>, undefined>;

const rowIdOf = (parsed: ParsedLine) => ('row' in parsed ? parsed.row.rowId : parsed.rowId);

/**
 * Books a chunk's lines: one claim per line with a row id (in one batch), then the rows this chunk's
 * lines hold, `rowConcurrency` at a time (rows that share an account in file order), then their
 * outcomes (in one batch). Results in line order; empty lines are skipped.
 *
 * Exactly once: a row's transfer id derives from (tenant, first import, row id), so booking it again
 * (a re-delivered chunk, or a crash between booking and settling: the line still holds an unsettled
 * claim) finds the transfer already there and counts it accepted. A settled claim is counted as it was
 * settled, without booking.
 */
export async function bookLines(
  deps: ChunkWorkerDeps,
  job: ImportJob,
  lines: readonly NumberedLine[],
): Promise<RowResult[]> {
  const header = job.header;
  if (!header) throw new Error(`import ${job.importId} has no header yet`);
  const parsed = lines.flatMap((line) => parseLine(line, header) ?? []);
  const keyOf = (p: ParsedLine): RowKey => ({
    tenantId: job.tenantId,
    rootImportId: job.rootImportId,
    importId: job.importId,
    rowId: rowIdOf(p),
    line: p.line,
  });
  // A line refused before booking claims its row id too (when it is one), so a retry may book it fixed.
  const claiming = parsed.filter((p) => 'row' in p || isRowId(p.rowId));
  const claimOf = sliceClaims(claiming, (slice) =>
    deps.jobs.claimRows(slice.map(keyOf), job.retryOf !== null),
  );
  const settlements: RowSettlement[] = [];
  const booker = rowBooker(deps, job);
  const results: RowResult[] = new Array(parsed.length);
  /** Rows whose lines hold their ids, waiting to be booked in a batch, in file order. */
  const pending: (BatchRow & {
    readonly index: number;
    readonly p: ParsedLine;
    readonly report: (reason: string) => RejectedRow;
  })[] = [];
  const drain = async (all: boolean) => {
    while (pending.length >= BATCH_ROWS || (all && pending.length > 0)) {
      const refusals = await booker.batch(pending);
      for (const [k, refusal] of refusals.entries()) {
        const { index, p, report } = pending[k] ?? unreachable();
        settlements.push({
          ...keyOf(p),
          outcome: refusal === null ? 'accepted' : 'rejected',
          reason: refusal ?? '',
        });
        results[index] =
          refusal === null ? { outcome: 'accepted' } : { outcome: 'rejected', report: report(refusal) };
      }
      pending.splice(0, refusals.length);
    }
  };
  for (const [index, p] of parsed.entries()) {
    const claim = await claimOf(p);
    if (!('row' in p)) {
      if (claim?.kind === 'new') settlements.push({ ...keyOf(p), outcome: 'rejected', reason: p.reason });
      results[index] = { outcome: 'rejected', report: p };
      continue;
    }
    const report = (reason: string): RejectedRow => ({
      line: p.line,
      rowId: p.row.rowId,
      reason,
      fields: p.fields,
    });
    const known = claim ? claimOutcome(job, claim, p.row.rowId, report) : undefined;
    if (known) results[index] = known;
    else pending.push({ index, p, report, line: p.line, row: p.row });
    await drain(false);
  }
  await drain(true);
  await deps.jobs.settleRows(settlements);
  return results;
}

/**
 * Claims lines by slices of CLAIM_SLICE, in file order, each slice when the first of its lines is
 * about to be booked and after the slices before it: within a chunk the first line of a row id
 * claims it, and across chunks a line claims about when it is booked (see the README on duplicates).
 */
function sliceClaims<T>(
  lines: readonly T[],
  claim: (slice: readonly T[]) => Promise<RowClaim[]>,
): (line: T) => Promise<RowClaim | undefined> {
  const index = new Map(lines.map((line, i) => [line, i]));
  const slices: Promise<RowClaim[]>[] = [];
  const sliceAt = (k: number): Promise<RowClaim[]> => {
    for (let next = slices.length; next <= k; next++) {
      const before = slices[next - 1] ?? Promise.resolve([]);
      const slice = lines.slice(next * CLAIM_SLICE, (next + 1) * CLAIM_SLICE);
      slices.push(before.then(() => claim(slice)));
    }
    return slices[k] ?? Promise.resolve([]);
  };
  return async (line) => {
    const i = index.get(line);
    if (i === undefined) return undefined;
    return (await sliceAt(Math.floor(i / CLAIM_SLICE)))[i % CLAIM_SLICE];
  };
}

/** What a line's claim already decides; undefined when the line holds its row id and the row is to be booked. */
function claimOutcome(
  job: ImportJob,
  claim: RowClaim,
  rowId: string,
  report: (reason: string) => RejectedRow,
): RowResult | undefined {
  switch (claim.kind) {
    case 'new':
      return undefined;
    case 'duplicate': {
      const where =
        claim.importId === job.importId
          ? `line ${claim.line}`
          : `line ${claim.line} of import ${claim.importId}`;
      return {
        outcome: 'duplicate',
        report: report(`duplicate: row_id ${rowId} is already used by ${where}`),
      };
    }
    case 'not-rejected':
      return {
        outcome: 'rejected',
        report: report(`row_id ${rowId} is not a rejected row of import ${job.rootImportId}`),
      };
    case 'settled':
      return claim.outcome === 'accepted'
        ? { outcome: 'accepted' }
        : { outcome: 'rejected', report: report(claim.reason) };
  }
}

/** A row to book, with its line. */
interface BatchRow {
  readonly line: number;
  readonly row: ImportRow;
}

/**
 * Books rows one at a time (`one`, each its own command, retried on conflicts) or several in one
 * transaction (`batch`); both answer null, or the rule that refused a row (anything else throws). The
 * chunk's rows share one load cache: an account a row loaded is brought up to date by reading only
 * the events after it, and a batch does not read at all an account an earlier batch read or wrote
 * (ChunkView). A row's transfer stream is not read before it is booked: a row is booked only
 * once its line holds its id, so its transfer is almost always new, and a transfer command appends a new
 * transfer expecting version 0 (`createTransfer`, `LedgerWork.newTransfer`); when it is not new (a chunk
 * delivered again after a crash), the append conflicts on it, and the command reads it and answers it.
 */
function rowBooker(deps: ChunkWorkerDeps, job: ImportJob) {
  const cache: LoadCache | undefined = deps.retry.loadCache?.();
  const retry: ConflictRetryOptions = cache ? { ...deps.retry, loadCache: () => cache } : deps.retry;
  const ports = cache ? { ...deps.ports, loadCache: cache } : deps.ports;
  const view = cache ? new ChunkView(cache) : undefined;
  const batchPorts = view ? { ...deps.ports, loadCache: view } : deps.ports;
  const locks = new AccountLocks();
  const contextOf = (line: number) => ({
    tenantId: job.tenantId,
    correlationId: job.importId,
    causationId: `${job.importId}:${line}`,
    actor: `import:${job.importId}`,
  });
  const inputOf = (row: ImportRow) => ({
    id: deps.transferIdFor(job.tenantId, `import:${job.rootImportId}`, row.rowId),
    debitAccountId: row.fromAccount,
    creditAccountId: row.toAccount,
    amount: row.amount,
    currency: row.currency,
    reference: row.reference,
  });
  const refusalOf = (error: unknown): string => {
    if (!(error instanceof LedgerError)) throw error;
    return error.message;
  };

  const one = async ({ line, row }: BatchRow): Promise<string | null> => {
    // This path writes the row's accounts without telling the view: the batches read them again.
    view?.forget([row.fromAccount, row.toAccount]);
    const input = inputOf(row);
    // Known from version 0: when the transfer exists after all, reading it needs no snapshot lookup.
    const stream = { type: TRANSFER.streamType, tenantId: job.tenantId, id: input.id };
    cache?.put(TRANSFER.reducerVersion, { stream, state: null, version: 0, snapshotVersion: 0 });
    try {
      await locks.run([row.fromAccount, row.toAccount], () =>
        retryOnConflict(() => createTransfer(ports, contextOf(line), input), retry),
      );
      return null;
    } catch (error) {
      return refusalOf(error);
    }
  };

  /** Decides the first rows of `rows` that fit one transaction in one unit of work, in file order. */
  const decide = async (rows: readonly BatchRow[]) => {
    // Events are stamped with the context as it is when recorded: each row's carries its own line.
    const ctx = { ...contextOf(rows[0]?.line ?? 0) };
    const work = new LedgerWork(batchPorts, ctx);
    view?.startBatch();
    // Load the legs of the rows that likely fit at once (deciding them one by one would wait on each).
    await Promise.allSettled(
      likelyFit(rows).flatMap(({ row }) => {
        const { id, debitAccountId: debit, creditAccountId: credit, currency } = inputOf(row);
        return [work.leg(debit, 'debit', id, currency), work.leg(credit, 'credit', id, currency)];
      }),
    );
    const outcomes: (string | null | 'again')[] = [];
    for (const { line, row } of rows) {
      if (outcomes.length >= BATCH_ROWS) break;
      if (outcomes.length > 0 && (await transactionItems(work)) + ROW_ITEMS > MAX_TRANSACTION_ITEMS) break;
      ctx.causationId = contextOf(line).causationId;
      const input = inputOf(row);
      await work.newTransfer(input.id);
      try {
        await openTransferStep(work, input);
        outcomes.push(null);
      } catch (error) {
        const refusal = refusalOf(error);
        const exists = (await loadTransfer(ports, job.tenantId, input.id)).state !== null;
        // Refused on a state the view vouched for: decided again on its own, on fresh reads.
        outcomes.push(exists || view?.vouched ? 'again' : refusal);
      }
    }
    return { work, outcomes };
  };

  /**
   * Books the first rows of `rows` (up to BATCH_ROWS, and as many as fit one transaction's items) in
   * one unit of work: each decided in file order on the states the rows before it left, one commit.
   * Answers the outcomes of the rows it took. A refused row records nothing; when its transfer exists
   * (booked by an earlier delivery) it is booked on its own, which finds it. When another writer moved
   * a leg, the batch is decided again on the moved legs' newer events (BATCH_ATTEMPTS in all); when a
   * transfer of the batch exists (the chunk delivered again), or the commit fails otherwise, each row
   * taken is booked on its own: that path is exactly once on the derived transfer ids.
   */
  const batch = async (rows: readonly BatchRow[]): Promise<(string | null)[]> => {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const { work, outcomes } = await decide(rows);
      const taken = rows.slice(0, outcomes.length);
      let changes: Change[];
      try {
        changes = await work.commit();
      } catch (error) {
        if (!legsMoved(error) || attempt >= BATCH_ATTEMPTS) {
          return mapLimited(taken, deps.rowConcurrency, one);
        }
        view?.shared();
        await deps.retry.wait(attempt + 1, performance.now() - started, error);
        continue;
      }
      view?.committed(changes);
      const results: (string | null)[] = [];
      for (const [k, outcome] of outcomes.entries()) {
        results.push(outcome === 'again' ? await one(taken[k] ?? unreachable()) : outcome);
      }
      return results;
    }
  };
  return { one, batch };
}

/**
 * The chunk's batches' view of the streams they book: a stream a batch read, or committed itself, is
 * taken to be where the batch left it, so the next batch loads it from memory without a read (an
 * account appears in many rows of a chunk; reading it again per batch was most of a row's requests).
 * Verified, not assumed: a batch's commit checks the version of every stream it writes, so a stream
 * another writer moved fails the commit and the batch is decided again on that stream's newer events
 * (a stream it only reads is a hot account's replica, which takes only the side that helps its limit);
 * a row refused in a batch that loaded anything so is decided again on its own; the accounts of a row
 * written outside the batches (that one-row path) are read again by the next batch that loads them;
 * and once another writer has moved a stream under a batch, the chunk reads everything it loads, as
 * before (other chunk workers write the same accounts: see `shared`).
 */
class ChunkView implements LoadCache {
  readonly #cache: LoadCache;
  /** Per stream key, the version a batch read or committed. */
  readonly #heads = new Map<string, number>();
  /** Another writer moved a stream under a batch: the chunk's accounts are shared, so always read. */
  #shared = false;
  #vouched = false;

  constructor(cache: LoadCache) {
    this.#cache = cache;
  }

  get<S>(stream: StreamRef, reducerVersion: number): Loaded<S> | undefined {
    return this.#cache.get<S>(stream, reducerVersion);
  }

  /** A load's result: read (or vouched for) just now, so the stream is there. */
  put<S>(reducerVersion: number, loaded: Loaded<S>): void {
    this.#cache.put(reducerVersion, loaded);
    if (!this.#shared) this.#heads.set(streamKey(loaded.stream), loaded.version);
  }

  current(stream: StreamRef, version: number): boolean {
    const vouched = !this.#shared && this.#heads.get(streamKey(stream)) === version;
    this.#vouched ||= vouched;
    return vouched;
  }

  /** Whether this batch loaded any stream without reading it. */
  get vouched(): boolean {
    return this.#vouched;
  }

  startBatch(): void {
    this.#vouched = false;
  }

  /** A batch's commit landed: its accounts' streams (the only ones batches load) stand as it left them. */
  committed(changes: readonly Change[]): void {
    for (const { reducerVersion, after, snapshot } of changes) {
      if (after.stream.type !== ACCOUNT.streamType) continue;
      this.put(reducerVersion, { ...after, snapshotVersion: snapshot?.version ?? after.snapshotVersion });
    }
  }

  /**
   * Another writer moved a stream under a batch: other workers write this chunk's accounts too, so
   * every later load of the chunk reads (taking a stream as the last batch left it would cost a
   * conflict, and a batch decided again, nearly every time: measured with 2 and 4 workers).
   */
  shared(): void {
    this.#shared = true;
    this.#heads.clear();
  }

  /** Written elsewhere: every stream of these accounts (main, replicas, shards) is read again. */
  forget(accountIds: readonly string[]): void {
    // The account a stream is of, from its key: only on this rare path, not on every load.
    for (const key of this.#heads.keys()) {
      const id = splitStreamKey(key)?.id;
      if (id !== undefined && accountIds.includes(accountOfStream(id))) this.#heads.delete(key);
    }
  }
}

/** A conflict on account streams only: another writer moved a leg (not a transfer of the batch that exists). */
function legsMoved(error: unknown): error is ConcurrencyConflictError {
  return (
    error instanceof ConcurrencyConflictError &&
    error.streams.length > 0 &&
    error.streams.every((key) => splitStreamKey(key)?.type === ACCOUNT.streamType)
  );
}

/**
 * The items the work's commit writes in one TransactWriteItems: each event, and a version check per
 * stream that existed (as the DynamoDB event store builds it).
 */
async function transactionItems(work: LedgerWork): Promise<number> {
  const changes = await work.changes();
  return changes.reduce((n, c) => n + c.write.events.length + (c.write.expectedVersion > 0 ? 1 : 0), 0);
}

/** The first rows (up to BATCH_ROWS) that fit one transaction if each account is one stream. */
function likelyFit(rows: readonly BatchRow[]): readonly BatchRow[] {
  const accounts = new Set<string>();
  let n = 0;
  for (const { row } of rows.slice(0, BATCH_ROWS)) {
    accounts.add(row.fromAccount).add(row.toAccount);
    if (n + 1 + 2 * accounts.size > MAX_TRANSACTION_ITEMS) break;
    n++;
  }
  return rows.slice(0, n);
}

function unreachable(): never {
  throw new Error('unreachable');
}
