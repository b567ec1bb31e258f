/**
 * A chunk's rows claimed and settled in batches (imports-row-claims.ts) and booked by imports-rows.ts,
 * against DynamoDB Local: exactly once whatever is delivered twice or cut short.
 */
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbImportJobs } from '../../../lambdas/adapters/imports-dynamodb.ts';
import { createTransfer, openAccount } from '../../../lambdas/application/commands.ts';
import { type ChunkWorkerDeps, createImport } from '../../../lambdas/application/imports.ts';
import { processChunk, validateUpload } from '../../../lambdas/application/imports-work.ts';
import { loadAccount } from '../../../lambdas/application/repository.ts';
import { newLoadCache } from '../../../lambdas/composition/ledger.ts';
import type { ChunkJob, ImportFiles, RowKey } from '../../../lambdas/domain/imports-ports.ts';
import { transferIdFor } from '../../../lambdas/shared/command-ids.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../support/dynamodb-local.ts';
import { createImportsTable } from '../../support/imports-table.ts';
import { ctx, inMemoryPorts, type TestPorts } from '../../support/in-memory-ports.ts';

const TENANT = 'tenant-a';
const TABLE = 'imports';
let ddb: DynamoDbLocal;
let jobs: DynamoDbImportJobs;
let sequence = 0;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  await createImportsTable(ddb.client, TABLE);

  jobs = new DynamoDbImportJobs({ client: ddb.client, tableName: TABLE });
});

afterAll(async () => {
  await ddb?.stop();
});

const freshImport = () => `imp_${++sequence}_${Date.now()}`;
const key = (importId: string, rowId: string, line: number, rootImportId = importId): RowKey => ({
  tenantId: TENANT,
  rootImportId,
  importId,
  rowId,
  line,
});

describe('row claims in batches', () => {
  it('gives a row id to its first line in a batch; a later line with it is that line’s duplicate', async () => {
    const imp = freshImport();
    const claims = await jobs.claimRows(
      [key(imp, 'r1', 2), key(imp, 'r2', 3), key(imp, 'r1', 4), key(imp, 'r1', 5)],
      false,
    );
    expect(claims).toEqual([
      { kind: 'new' },
      { kind: 'new' },
      { kind: 'duplicate', line: 2, importId: imp },
      { kind: 'duplicate', line: 2, importId: imp },
    ]);
  });

  it('finds a claim of an earlier delivery: its own line’s (unsettled, then settled) or another line’s', async () => {
    const imp = freshImport();
    const rows = [key(imp, 'a', 2), key(imp, 'b', 3), key(imp, 'c', 4)];
    await jobs.claimRows(rows, false);
    // Delivered again before settling (a crash): the lines still hold their ids, to be booked again.
    expect(await jobs.claimRows(rows, false)).toEqual([{ kind: 'new' }, { kind: 'new' }, { kind: 'new' }]);
    await jobs.settleRows([
      { ...key(imp, 'a', 2), outcome: 'accepted', reason: '' },
      { ...key(imp, 'b', 3), outcome: 'rejected', reason: 'insufficient funds' },
    ]);
    expect(await jobs.claimRows([...rows, key(imp, 'a', 9), key(imp, 'd', 10)], false)).toEqual([
      { kind: 'settled', outcome: 'accepted', reason: '' },
      { kind: 'settled', outcome: 'rejected', reason: 'insufficient funds' },
      { kind: 'new' },
      { kind: 'duplicate', line: 2, importId: imp },
      { kind: 'new' },
    ]);
  });

  it('loses a row id another chunk claims between its read and its write, and claims the rest', async () => {
    const imp = freshImport();
    const rows = Array.from({ length: 150 }, (_, i) => key(imp, `row${i}`, i + 2));
    let injected = false;
    ddb.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!injected && context.commandName === 'TransactWriteItemsCommand') {
          injected = true;
          await ddb.client.send(
            new PutItemCommand({
              TableName: TABLE,
              Item: marshall({
                pk: `${TENANT}#${imp}`,
                sk: 'row#row7',
                importId: imp,
                line: 999,
                state: 'claimed',
                reason: '',
              }),
            }),
          );
        }
        return next(args);
      },
      { step: 'initialize', name: 'claimRaceInTest' },
    );
    try {
      const claims = await jobs.claimRows(rows, false);
      expect(injected).toBe(true);
      expect(claims[7]).toEqual({ kind: 'duplicate', line: 999, importId: imp });
      expect(claims.filter((c) => c.kind === 'new')).toHaveLength(149);
      // The cancelled transaction's other rows were written by its retry, each as its own line's.
      const { Items = [] } = await ddb.client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :row)',
          ExpressionAttributeValues: marshall({ ':pk': `${TENANT}#${imp}`, ':row': 'row#' }),
          ConsistentRead: true,
        }),
      );
      const stored = new Map(Items.map((item) => unmarshall(item)).map((c) => [c.sk, c.line]));
      expect(stored).toEqual(new Map(rows.map((r) => [`row#${r.rowId}`, r.rowId === 'row7' ? 999 : r.line])));
      // What the batch claimed is stored as this import's lines.
      expect(await jobs.claimRows(rows, false)).toEqual(claims);
    } finally {
      ddb.client.middlewareStack.remove('claimRaceInTest');
    }
  });

  it('lets a retry claim only rows its root import rejected', async () => {
    const root = freshImport();
    await jobs.claimRows([key(root, 'ok', 2), key(root, 'bad', 3)], false);
    await jobs.settleRows([
      { ...key(root, 'ok', 2), outcome: 'accepted', reason: '' },
      { ...key(root, 'bad', 3), outcome: 'rejected', reason: 'unknown account' },
    ]);
    const retry = freshImport();
    const rows = [key(retry, 'bad', 2, root), key(retry, 'ok', 3, root), key(retry, 'never', 4, root)];
    expect(await jobs.claimRows(rows, true)).toEqual([
      { kind: 'new' },
      { kind: 'duplicate', line: 2, importId: root },
      { kind: 'not-rejected' },
    ]);
  });

  it('refuses to settle a row whose id another line holds', async () => {
    const imp = freshImport();
    await jobs.claimRows([key(imp, 'x', 2)], false);
    await expect(jobs.settleRows([{ ...key(imp, 'x', 3), outcome: 'accepted', reason: '' }])).rejects.toThrow(
      /no longer claimed/,
    );
  });
});

/** Files in memory: the source and the error report parts. */
class MemoryFiles implements ImportFiles {
  readonly texts = new Map<string, string>();
  uploadUrl = async (key: string) => `memory://${key}`;
  downloadUrl = async (key: string) => `memory://${key}`;
  read = async (key: string) => ({
    etag: 'etag-1',
    body: (async function* (text: string) {
      yield new TextEncoder().encode(text);
    })(this.texts.get(key) ?? ''),
  });
  readRange = async (key: string, range: { start: number; end: number }) =>
    (this.texts.get(key) ?? '').slice(range.start, range.end);
  write = async (key: string, text: string) => {
    this.texts.set(key, text);
  };
  list = async (prefix: string) => [...this.texts.keys()].filter((k) => k.startsWith(prefix)).sort();
  readText = async (key: string) => this.texts.get(key) ?? '';
}

interface Setup {
  readonly deps: ChunkWorkerDeps;
  readonly ports: TestPorts;
  readonly message: ChunkJob;
  readonly accounts: readonly string[];
}

/** An import in `processing` of one chunk holding `rows` (row id, from index, to index, amount). */
type Row = readonly [id: string, from: number, to: number, amount: number];

/** `limited`: the accounts (by index) that cannot go below zero; the others can. */
async function chunkOf(rows: readonly Row[], limited: readonly number[] = [], count = 3): Promise<Setup> {
  const ports = inMemoryPorts();
  const accounts: string[] = [];
  for (let i = 0; i < count; i++) {
    const flags = { debitsMustNotExceedCredits: limited.includes(i) };
    accounts.push((await openAccount(ports, ctx(), { currency: 'USD', flags })).id);
  }
  const importId = freshImport();
  const text = `row_id,from_account,to_account,amount,currency,reference\n${rows
    .map(([id, from, to, amount]) => `${id},${accounts[from]},${accounts[to]},${amount},USD,`)
    .join('\n')}\n`;
  const sent: ChunkJob[] = [];
  const deps: ChunkWorkerDeps = {
    jobs,
    files: new MemoryFiles(),
    sendChunks: async (chunks) => {
      sent.push(...chunks);
    },
    now: () => new Date(),
    ports,
    retry: { maxAttempts: 5, wait: async () => {}, loadCache: newLoadCache },
    rowConcurrency: 8,
    transferIdFor,
  };
  // The import as the API creates it, and its file split by the validator: one chunk.
  const created = await createImport(deps, TENANT, importId);
  await deps.files.write(created.sourceKey, text);
  expect(await validateUpload(deps, created.sourceKey)).toMatchObject({ outcome: 'split', chunks: 1 });
  const message = sent[0];
  if (!message) throw new Error('no chunk was sent');
  return { deps, ports, accounts, message };
}

const posted = async (ports: TestPorts, accountId: string) => {
  const { state } = await loadAccount(ports, TENANT, accountId);
  return { debits: state?.debitsPosted, credits: state?.creditsPosted };
};
/** The worker, dying after booking and before settling its rows. */
const crashingSettle = (deps: ChunkWorkerDeps): ChunkWorkerDeps => ({
  ...deps,
  jobs: new (class extends DynamoDbImportJobs {
    override async settleRows(): Promise<void> {
      throw new Error('the worker died before settling');
    }
  })({ client: ddb.client, tableName: TABLE }),
});
const transferEvents = (ports: TestPorts) => ports.events.all().filter((e) => e.stream.type === 'transfer');

describe('a chunk booked exactly once', () => {
  it('counts a row booked before a crash (and not settled) as accepted on the next delivery, booking it once', async () => {
    const { deps, ports, message, accounts } = await chunkOf([
      ['p1', 0, 1, 100],
      ['p2', 0, 2, 20],
      ['p3', 1, 2, 3],
    ]);
    const crashing = crashingSettle(deps);
    const reads = vi.spyOn(ports.events, 'readStream');
    const transferReads = () => reads.mock.calls.filter(([stream]) => stream.type === 'transfer').length;
    await expect(processChunk(crashing, message)).rejects.toThrow(/died/);
    expect(transferEvents(ports)).toHaveLength(3);
    // New rows: their transfers are not read before booking.
    expect(transferReads()).toBe(0);
    expect(await processChunk(deps, message)).toEqual({ accepted: 3, rejected: 0, duplicate: 0 });
    expect(transferEvents(ports)).toHaveLength(3);
    // Booked before: each append met the transfer, and its retry read it.
    expect(transferReads()).toBe(3);
    expect(await posted(ports, accounts[0] ?? '')).toEqual({ debits: 120, credits: 0 });
    expect(await posted(ports, accounts[2] ?? '')).toEqual({ debits: 0, credits: 23 });
    const done = await jobs.get(TENANT, message.importId);
    expect(done).toMatchObject({ status: 'done', accepted: 3, rejected: 0, duplicate: 0 });
  });

  it('books a chunk delivered twice at once and a duplicated row id once, and counts the chunk once', async () => {
    const rows = Array.from({ length: 40 }, (_, i): Row => [`r${i}`, i % 3, (i + 1) % 3, 1 + i]);
    const { deps, ports, message, accounts } = await chunkOf([...rows, ['r5', 2, 0, 999]]);
    const snapshotReads = vi.spyOn(ports.snapshots, 'get');
    const [first, second] = await Promise.all([processChunk(deps, message), processChunk(deps, message)]);
    // One load cache per delivery: each account's snapshot is looked up once, not once per row.
    expect(snapshotReads.mock.calls.length).toBeLessThanOrEqual(2 * accounts.length);
    const counts = { accepted: 40, rejected: 0, duplicate: 1 };
    expect(first).toEqual(counts);
    expect(second).toEqual(counts);
    expect(transferEvents(ports)).toHaveLength(40);
    const sent = rows.filter(([, from]) => from === 0).reduce((sum, [, , , amount]) => sum + amount, 0);
    expect((await posted(ports, accounts[0] ?? '')).debits).toBe(sent);
    const done = await jobs.get(TENANT, message.importId);
    expect(done).toMatchObject({ status: 'done', chunksDone: 1, accepted: 40, duplicate: 1 });
    const report = deps.files instanceof MemoryFiles ? deps.files.texts.get(done?.errorReportKey ?? '') : '';
    expect(report).toContain('42,duplicate: row_id r5 is already used by line 7');
  });

  it('gives a row id to its first line when the lines are claimed in different slices of the chunk', async () => {
    const rows = Array.from({ length: 150 }, (_, i): Row => [`s${i}`, 0, 1, 1]);
    const { deps, ports, message, accounts } = await chunkOf([
      ...rows.slice(0, 140),
      ['s0', 1, 2, 50],
      ...rows.slice(140),
    ]);
    expect(await processChunk(deps, message)).toEqual({ accepted: 150, rejected: 0, duplicate: 1 });
    expect(await posted(ports, accounts[0] ?? '')).toEqual({ debits: 150, credits: 0 });
    expect(await posted(ports, accounts[2] ?? '')).toEqual({ debits: 0, credits: 0 });
  });
});

describe('rows booked several per transaction', () => {
  it('books a batch in one transaction, rejecting a refused row in the middle and booking the others', async () => {
    const { deps, ports, message, accounts } = await chunkOf(
      [
        ['a', 0, 1, 100],
        ['b', 1, 2, 500],
        ['c', 0, 2, 7],
        ['d', 1, 2, 60],
      ],
      [1],
    );
    const before = ports.events.appendCalls;
    expect(await processChunk(deps, message)).toEqual({ accepted: 3, rejected: 1, duplicate: 0 });
    expect(ports.events.appendCalls - before).toBe(1);
    expect(transferEvents(ports)).toHaveLength(3);
    expect(await posted(ports, accounts[1] ?? '')).toEqual({ debits: 60, credits: 100 });
    expect(await posted(ports, accounts[2] ?? '')).toEqual({ debits: 0, credits: 67 });
    const done = await jobs.get(TENANT, message.importId);
    const report = deps.files instanceof MemoryFiles ? deps.files.texts.get(done?.errorReportKey ?? '') : '';
    expect(report).toMatch(/^3,"Account \S+ has 100 available, 500 requested",b,/m);
  });

  it('caps a batch by the items of one transaction, not only by rows', async () => {
    // 25 rows of distinct accounts: 5 items each (the transfer; per leg an event and a version check).
    const rows = Array.from({ length: 25 }, (_, i): Row => [`x${i}`, 2 * i, 2 * i + 1, 1]);
    const { deps, ports, message } = await chunkOf(rows, [], 50);
    const items: number[] = [];
    const append = ports.events.append.bind(ports.events);
    vi.spyOn(ports.events, 'append').mockImplementation(async (writes) => {
      items.push(writes.reduce((n, w) => n + w.events.length + (w.expectedVersion > 0 ? 1 : 0), 0));
      return append(writes);
    });
    expect(await processChunk(deps, message)).toEqual({ accepted: 25, rejected: 0, duplicate: 0 });
    expect(items).toEqual([100, 25]);
  });

  it('decides rows moving money through one limited account in file order, in one transaction', async () => {
    const { deps, ports, message, accounts } = await chunkOf(
      [
        ['in', 0, 1, 100],
        ['o1', 1, 2, 70],
        ['o2', 1, 2, 40],
        ['o3', 1, 2, 30],
        ['o4', 1, 0, 1],
      ],
      [1],
    );
    const before = ports.events.appendCalls;
    expect(await processChunk(deps, message)).toEqual({ accepted: 3, rejected: 2, duplicate: 0 });
    expect(ports.events.appendCalls - before).toBe(1);
    expect(await posted(ports, accounts[1] ?? '')).toEqual({ debits: 100, credits: 100 });
  });

  it('counts a row booked by an earlier delivery as accepted when deciding it again would refuse it', async () => {
    const { deps, ports, message, accounts } = await chunkOf([['y', 1, 2, 100]], [1]);
    await createTransfer(ports, ctx(), {
      debitAccountId: accounts[0] ?? '',
      creditAccountId: accounts[1] ?? '',
      amount: 100,
      currency: 'USD',
    });
    await expect(processChunk(crashingSettle(deps), message)).rejects.toThrow(/died/);
    // Delivered again: the account holds nothing now, but its row was booked.
    expect(await processChunk(deps, message)).toEqual({ accepted: 1, rejected: 0, duplicate: 0 });
    expect(transferEvents(ports)).toHaveLength(2);
    expect(await posted(ports, accounts[1] ?? '')).toEqual({ debits: 100, credits: 100 });
  });

  it('books a re-delivered batch nothing twice (its transaction meets the transfers, each row finds its own)', async () => {
    const rows = Array.from({ length: 30 }, (_, i): Row => [`d${i}`, i % 3, (i + 1) % 3, 1 + i]);
    const { deps, ports, message, accounts } = await chunkOf(rows);
    await expect(processChunk(crashingSettle(deps), message)).rejects.toThrow(/died/);
    const booked = await Promise.all(accounts.map((a) => posted(ports, a)));
    expect(await processChunk(deps, message)).toEqual({ accepted: 30, rejected: 0, duplicate: 0 });
    expect(transferEvents(ports)).toHaveLength(30);
    expect(await Promise.all(accounts.map((a) => posted(ports, a)))).toEqual(booked);
    const sent = rows.filter(([, from]) => from === 0).reduce((sum, [, , , amount]) => sum + amount, 0);
    expect(booked[0]?.debits).toBe(sent);
  });

  it('loads an account a batch of the chunk read or wrote without reading it again', async () => {
    // 60 rows over 3 accounts: three batches of 25, 25 and 10.
    const rows = Array.from({ length: 60 }, (_, i): Row => [`v${i}`, i % 3, (i + 1) % 3, 1]);
    const { deps, ports, message, accounts } = await chunkOf(rows);
    const reads = vi.spyOn(ports.events, 'readStream');
    const before = ports.events.appendCalls;

    expect(await processChunk(deps, message)).toEqual({ accepted: 60, rejected: 0, duplicate: 0 });

    expect(ports.events.appendCalls - before).toBe(3);
    // Each account is read by the first batch only; the next two take it as the batch before left it.
    const accountReads = reads.mock.calls.filter(([stream]) => stream.type === 'account');
    expect(accountReads.map(([stream]) => stream.id).sort()).toEqual([...accounts].sort());
    for (const account of accounts) expect(await posted(ports, account)).toEqual({ debits: 20, credits: 20 });
  });

  /**
   * After the chunk's first batch commits (its first multi-stream append), another writer moves
   * `amount` between two of the setup's accounts (by index), once; answers whether it did.
   */
  const afterFirstBatch = ({ ports, accounts }: Setup, from: number, to: number, amount: number) => {
    const append = ports.events.append.bind(ports.events);
    let injected = false;
    vi.spyOn(ports.events, 'append').mockImplementation(async (writes) => {
      await append(writes);
      if (!injected && writes.length > 1) {
        injected = true;
        const [debitAccountId = '', creditAccountId = ''] = [accounts[from], accounts[to]];
        await createTransfer(ports, ctx(), { debitAccountId, creditAccountId, amount, currency: 'USD' });
      }
    });
    return () => injected;
  };

  it('books a row refused on what the chunk last saw of an account that another writer has since credited', async () => {
    // Batch 1: account 1 receives 10. Batch 2: it pays 60, which only the outside credit of 100 allows.
    const filler = Array.from({ length: 24 }, (_, i): Row => [`g${i}`, 0, 2, 1]);
    // Batch 3 (the last rows) credits account 2, which 'big' (booked on its own) moved after batch 2 read it.
    const third = Array.from({ length: 25 }, (_, i): Row => [`t${i}`, 0, 2, 1]);
    const setup = await chunkOf(
      [['in', 0, 1, 10], ...filler, ['big', 1, 2, 60], ['h', 0, 2, 1], ...third],
      [1],
      4,
    );
    const { deps, ports, message, accounts } = setup;
    const before = ports.events.appendCalls;
    // From an account no row uses, so the second batch's commit meets no moved stream.
    const injected = afterFirstBatch(setup, 3, 1, 100);

    expect(await processChunk(deps, message)).toEqual({ accepted: 52, rejected: 0, duplicate: 0 });

    expect(injected()).toBe(true);
    expect(await posted(ports, accounts[1] ?? '')).toEqual({ debits: 60, credits: 110 });
    expect(await posted(ports, accounts[2] ?? '')).toEqual({ debits: 0, credits: 110 });
    // Three batches, the outside credit, and 'big' on its own; batch 3 read account 2 again, so its
    // commit met no moved stream (else its rows would have gone on their own).
    expect(ports.events.appendCalls - before).toBe(5);
  });

  it('books every row once when another writer moves an account between two batches that write it', async () => {
    const rows = Array.from({ length: 40 }, (_, i): Row => [`m${i}`, 0, 1 + (i % 2), 1]);
    const setup = await chunkOf(rows);
    const { deps, ports, message, accounts } = setup;
    const injected = afterFirstBatch(setup, 0, 2, 5);

    expect(await processChunk(deps, message)).toEqual({ accepted: 40, rejected: 0, duplicate: 0 });

    expect(injected()).toBe(true);
    expect(transferEvents(ports)).toHaveLength(41);
    expect(await posted(ports, accounts[0] ?? '')).toEqual({ debits: 45, credits: 0 });
    expect(await posted(ports, accounts[1] ?? '')).toEqual({ debits: 0, credits: 20 });
    expect(await posted(ports, accounts[2] ?? '')).toEqual({ debits: 0, credits: 25 });
  });

  it('reads every account it loads once another writer has moved one under a batch', async () => {
    // Three batches, each writing accounts 0 and 1 (and 2); the outside writer moves account 0 once.
    const rows = Array.from({ length: 60 }, (_, i): Row => [`c${i}`, 0, 1 + (i % 2), 1]);
    const setup = await chunkOf(rows);
    const { deps, ports, message, accounts } = setup;
    const injected = afterFirstBatch(setup, 0, 2, 5);
    const reads = vi.spyOn(ports.events, 'readStream');
    const readsOf = (index: number) =>
      reads.mock.calls.filter(([stream]) => stream.id === accounts[index]).length;

    expect(await processChunk(deps, message)).toEqual({ accepted: 60, rejected: 0, duplicate: 0 });

    expect(injected()).toBe(true);
    // Batch 1 reads; batch 2 takes them as batch 1 left them, is beaten on account 0, and its second
    // attempt reads, as batch 3 does: 3 reads of account 1, where a chunk no one else writes reads it
    // once (account 0 is also read once by the outside writer).
    expect(readsOf(1)).toBe(3);
    expect(readsOf(0)).toBe(4);
    expect(await posted(ports, accounts[0] ?? '')).toEqual({ debits: 65, credits: 0 });
  });

  it('decides a batch again on the newer events of a leg another writer moved before its commit', async () => {
    const { deps, ports, message, accounts } = await chunkOf(
      [
        ['f1', 0, 1, 50],
        ['f2', 1, 2, 80],
        ['f3', 0, 2, 5],
      ],
      [1],
    );
    const append = ports.events.append.bind(ports.events);
    let injected = false;
    vi.spyOn(ports.events, 'append').mockImplementation(async (writes) => {
      if (!injected && writes.length > 1) {
        injected = true;
        // Between the batch's decisions and its commit, account 1 receives 30 more.
        await createTransfer(ports, ctx(), {
          debitAccountId: accounts[0] ?? '',
          creditAccountId: accounts[1] ?? '',
          amount: 30,
          currency: 'USD',
        });
      }
      return append(writes);
    });
    const before = ports.events.appendCalls;
    expect(await processChunk(deps, message)).toEqual({ accepted: 3, rejected: 0, duplicate: 0 });
    expect(injected).toBe(true);
    // The outside transfer, the batch's refused commit, and the batch again: no row on its own.
    expect(ports.events.appendCalls - before).toBe(3);
    expect(transferEvents(ports)).toHaveLength(4);
    expect(await posted(ports, accounts[1] ?? '')).toEqual({ debits: 80, credits: 80 });
    expect(await posted(ports, accounts[2] ?? '')).toEqual({ debits: 0, credits: 85 });
  });

  it('books the rows of a batch on their own when other writers keep moving its legs', async () => {
    const { deps, ports, message, accounts } = await chunkOf([
      ['k1', 0, 1, 5],
      ['k2', 1, 2, 3],
    ]);
    const append = ports.events.append.bind(ports.events);
    let moves = 0;
    let moving = false;
    vi.spyOn(ports.events, 'append').mockImplementation(async (writes) => {
      // The batch's append writes 5 streams (two transfers, three accounts); a single transfer 3.
      if (!moving && writes.length > 3) {
        moving = true;
        moves++;
        await createTransfer(ports, ctx(), {
          debitAccountId: accounts[0] ?? '',
          creditAccountId: accounts[2] ?? '',
          amount: 1,
          currency: 'USD',
        });
        moving = false;
      }
      return append(writes);
    });
    const before = ports.events.appendCalls;
    expect(await processChunk(deps, message)).toEqual({ accepted: 2, rejected: 0, duplicate: 0 });
    // Three attempts of the batch, each beaten, then each row on its own.
    expect(moves).toBe(3);
    expect(ports.events.appendCalls - before).toBe(3 + 3 + 2);
    expect(transferEvents(ports)).toHaveLength(5);
    expect(await posted(ports, accounts[0] ?? '')).toEqual({ debits: 8, credits: 0 });
    expect(await posted(ports, accounts[1] ?? '')).toEqual({ debits: 3, credits: 5 });
    expect(await posted(ports, accounts[2] ?? '')).toEqual({ debits: 0, credits: 6 });
  });
});
