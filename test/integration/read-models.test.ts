import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { SlotTables } from '../../lambdas/adapters/dynamodb-read-models.ts';
import { READ_MODELS, type ReadModelName } from '../../lambdas/domain/projections/read-model.ts';
import { rebuild } from '../../lambdas/operations/rebuild.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { checkContract } from '../support/http-api.ts';
import { canonical } from '../support/in-memory-read-models.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

checkContract(inject('apiUrl'));

// Black box over HTTP against the suite's target; the rebuild check also needs the tables, so it
// runs on a local runtime of its own (the target's endpoints are not shared with test files).

const LATEST = '9999-12-31T23:59:59Z';

interface Reply {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

function client(apiUrl: string, apiKey: string) {
  const request = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const response = await fetch(`${apiUrl.replace(/\/$/, '')}${path}`, {
      method,
      headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const ok = async (method: string, path: string, body?: unknown) => {
    const reply = await request(method, path, body);
    expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.json)}`).toBeLessThan(300);
    return reply.json;
  };
  /** The account view once it has caught up with the event store (polling with a deadline). */
  const settled = async (id: string) => {
    const head = await ok('GET', `/accounts/${id}?asOf=${LATEST}`);
    return waitFor(
      async () => {
        const view = await request('GET', `/accounts/${id}`);
        return view.status === 200 && view.json.version === head.version ? view.json : undefined;
      },
      { what: `account view of ${id} at version ${String(head.version)}`, timeoutMs: 20_000 },
    );
  };
  /** Every history row of an account, page by page. */
  const history = async (id: string, limit: number) => {
    const rows: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await ok(
        'GET',
        `/accounts/${id}/transactions?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      rows.push(...(page.data as Record<string, unknown>[]));
      cursor = page.nextCursor as string | null;
      pages++;
    } while (cursor);
    return { rows, pages };
  };
  return { request, ok, settled, history };
}

/** A ledger written through the API: two accounts, deposits, a transfer, a partially posted hold. */
async function writeLedger(api: ReturnType<typeof client>, deposits: number) {
  const alice = String((await api.ok('POST', '/accounts', { currency: 'USD' })).id);
  const bob = String((await api.ok('POST', '/accounts', { currency: 'USD' })).id);
  const depositIds: string[] = [];
  for (let i = 1; i <= deposits; i++) {
    depositIds.push(
      String((await api.ok('POST', `/accounts/${alice}/deposits`, { amount: i * 100, currency: 'USD' })).id),
    );
  }
  const transfer = await api.ok('POST', '/transfers', {
    debitAccountId: alice,
    creditAccountId: bob,
    amount: 10,
    currency: 'USD',
  });
  const hold = await api.ok('POST', '/transfers', {
    debitAccountId: alice,
    creditAccountId: bob,
    amount: 20,
    currency: 'USD',
    pending: true,
  });
  await api.ok('POST', `/transfers/${String(hold.id)}/post`, { amount: 15 });
  return { alice, bob, depositIds, transferId: String(transfer.id), holdId: String(hold.id) };
}

describeTarget('read models', inject('skipReason'), inject('targetName'), () => {
  const api = client(inject('apiUrl'), inject('apiKey'));
  const other = client(inject('apiUrl'), inject('secondApiKey'));

  it('serves what was written, through every read endpoint, once the projector caught up', async () => {
    const { alice, bob, transferId, holdId } = await writeLedger(api, 3);
    const sum = 100 + 200 + 300;
    expect(await api.settled(alice)).toMatchObject({
      balances: { creditsPosted: sum, debitsPosted: 25, debitsPending: 0, available: sum - 25 },
    });
    expect(await api.settled(bob)).toMatchObject({ balances: { creditsPosted: 25 } });
    const transfer = await waitFor(async () => {
      const reply = await api.request('GET', `/transfers/${holdId}`);
      return reply.status === 200 && reply.json.status === 'posted' ? reply.json : undefined;
    });
    expect(transfer).toMatchObject({ postedAmount: 15, amount: 20, pending: true });
    expect((await api.ok('GET', `/transfers/${transferId}`)).status).toBe('posted');
    const { rows } = await api.history(bob, 100);
    expect(rows.map((r) => [r.transferId, r.amount, r.direction])).toEqual([
      [transferId, 10, 'credit'],
      [holdId, 15, 'credit'],
    ]);
    const today = new Date().toISOString().slice(0, 10);
    const report = await api.ok('GET', `/reports/daily?from=${today}&to=${today}&currency=USD`);
    expect((report.data as { count: number; debits: number; credits: number }[])[0]).toMatchObject({
      day: today,
      currency: 'USD',
    });
    const [totals] = report.data as { debits: number; credits: number }[];
    expect(totals?.debits).toBe(totals?.credits);
    const audit = await api.ok('GET', `/accounts/${alice}/events?limit=100`);
    expect((audit.data as { version: number }[]).map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await other.request('GET', `/accounts/${alice}/transactions`)).status).toBe(404);
    expect((await other.request('GET', `/transfers/${transferId}`)).status).toBe(404);
  });

  it('pages through 250 history rows without loss or repetition', async () => {
    const { alice, depositIds, transferId, holdId } = await writeLedger(api, 248);
    await api.settled(alice);
    const expected = [...depositIds, transferId, holdId];
    for (const limit of [100, 7]) {
      const { rows, pages } = await api.history(alice, limit);
      expect(pages).toBe(Math.ceil(250 / limit));
      const ids = rows.map((r) => String(r.transferId));
      expect(new Set(ids).size).toBe(250);
      expect(ids.sort()).toEqual([...expected].sort());
      const keys = rows.map((r) => `${String(r.postedAt)}#${String(r.transferId)}`);
      expect(keys).toEqual([...keys].sort());
    }
  });
});

describeTarget(
  'read-model rebuild',
  inject('targetName') === 'local'
    ? inject('skipReason')
    : 'needs a local runtime (it reads and rebuilds the tables)',
  inject('targetName'),
  () => {
    let runtime: LocalRuntime;
    let ddb: DynamoDBClient;
    let tables: Record<ReadModelName, SlotTables>;
    let eventsTable: string;
    let pointersTable: string;

    beforeAll(async () => {
      const { startLocalRuntime } = await import('../../local/runtime.ts');
      const projectRoot = join(import.meta.dirname, '..', '..');
      runtime = await startLocalRuntime({
        cdkOut: join(projectRoot, 'cdk.out'),
        projectRoot,
        port: 0,
        apiKeys: ['rebuild-tenant-0123456789'],
        log: () => {},
        functionLog: () => {},
      });
      ddb = new DynamoDBClient({
        endpoint: runtime.endpoints.dynamodb,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const projector = runtime.functions.find((f) => f.env.DAILY_TOTALS_TABLES && f.env.ACCOUNT_VIEW_TABLES);
      if (!projector) throw new Error('no projector function in the template');
      const pair = (name: string): SlotTables => {
        const [blue = '', green = ''] = (projector.env[name] ?? '').split(',');
        return { blue, green };
      };
      tables = {
        'account-view': pair('ACCOUNT_VIEW_TABLES'),
        'account-history': pair('ACCOUNT_HISTORY_TABLES'),
        'transfer-view': pair('TRANSFER_VIEW_TABLES'),
        'daily-totals': pair('DAILY_TOTALS_TABLES'),
        'payment-view': pair('PAYMENT_VIEW_TABLES'),
      };
      eventsTable = projector.env.EVENTS_TABLE_NAME ?? '';
      pointersTable = projector.env.READ_MODEL_POINTERS_TABLE ?? '';
    }, 180_000);

    afterAll(async () => {
      ddb?.destroy();
      await runtime?.stop();
    });

    const dump = async (table: string) => {
      const { Items = [] } = await ddb.send(new ScanCommand({ TableName: table }));
      return Items.map((item) => JSON.stringify(canonical(unmarshall(item))))
        .sort()
        .join('\n');
    };

    it('rebuilds every read model from the event store into identical rows, and serves the same reads', async () => {
      const api = client(runtime.apiUrl ?? '', 'rebuild-tenant-0123456789');
      const { alice, bob, holdId } = await writeLedger(api, 30);
      await api.settled(alice);
      await api.settled(bob);
      await waitFor(async () => (await api.request('GET', `/transfers/${holdId}`)).json.status === 'posted');
      const today = new Date().toISOString().slice(0, 10);
      const reads = async () => ({
        alice: await api.ok('GET', `/accounts/${alice}`),
        bob: await api.ok('GET', `/accounts/${bob}`),
        history: (await api.history(alice, 10)).rows,
        hold: await api.ok('GET', `/transfers/${holdId}`),
        report: await api.ok('GET', `/reports/daily?from=${today}&to=${today}`),
      });
      const before = await reads();
      for (const model of READ_MODELS) {
        const live = await dump(tables[model].blue);
        const report = await rebuild({
          dynamodb: ddb,
          eventsTable,
          model,
          tables: tables[model],
          pointersTable,
          ratePerSecond: 10_000,
          // Nothing writes meanwhile, so the catch-up pass need not wait out the pointer caches.
          settleMs: 0,
        });
        expect(report.active).toBe('green');
        expect(await dump(tables[model].green), model).toBe(live);
      }
      expect(await reads()).toEqual(before);
    });
  },
);
