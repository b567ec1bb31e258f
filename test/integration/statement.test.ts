// Issue 14, done-when: stream a statement and check every row against the history endpoint
// (GET /accounts/{id}/transactions) and the checksum line.
import { beforeAll, expect, inject, it } from 'vitest';
import { parseChecksumLine } from '../../lambdas/shared/csv.ts';
import { apiClient, checkContract } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

const apiUrl = inject('apiUrl');
const api = apiClient(apiUrl, inject('apiKey'));
const other = apiClient(apiUrl, inject('secondApiKey'));
checkContract(apiUrl);

type Row = Record<string, string>;

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const next = text[i + 1];
    if (quoted && c === '"' && next === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      record.push(field);
      field = '';
    } else if (!quoted && c === '\r' && next === '\n') {
      records.push([...record, field]);
      record = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  expect(field, 'the last record ends with CRLF').toBe('');
  return records;
}

/** The statement as it streams in: status, headers, how many chunks it came in, and the text. */
async function statement(accountId: string, query = '', key = inject('apiKey')) {
  const response = await fetch(`${apiUrl.replace(/\/$/, '')}/accounts/${accountId}/statement.csv${query}`, {
    headers: { 'x-api-key': key },
  });
  const decoder = new TextDecoder();
  let text = '';
  let chunks = 0;
  for await (const chunk of response.body ?? []) {
    chunks++;
    text += decoder.decode(chunk, { stream: true });
  }
  return { status: response.status, headers: response.headers, chunks, text };
}

/** Every posting of the account from the history endpoint, page by page. */
async function history(accountId: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; json: { data: Record<string, unknown>[]; nextCursor: string | null } } =
      await api<{ data: Record<string, unknown>[]; nextCursor: string | null }>(
        'GET',
        `/accounts/${accountId}/transactions?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
    expect(page.status).toBe(200);
    rows.push(...page.json.data);
    cursor = page.json.nextCursor;
  } while (cursor);
  return rows;
}

/** Checks each CSV row against the history row at the same place, and the checksum line against the rows. */
function expectStatementOf(text: string, accountId: string, postings: readonly Record<string, unknown>[]) {
  const [header = [], ...records] = parseCsv(text);
  const trailer = records.pop() ?? [];
  const rows: Row[] = records.map((r) => Object.fromEntries(header.map((name, i) => [name, r[i] ?? ''])));
  expect(rows).toHaveLength(postings.length);
  rows.forEach((row, i) => {
    const posting = postings[i] ?? {};
    expect(row, `row ${i + 1}`).toEqual({
      accountId,
      postedAt: posting.postedAt,
      transferId: posting.transferId,
      type: posting.type,
      direction: posting.direction,
      counterpartyAccountId: posting.counterpartyAccountId,
      currency: 'USD',
      amountMinor: String(posting.amount),
      amount: `${(Number(posting.amount) / 100).toFixed(2)} USD`,
      postedBalanceAfterMinor: posting.postedBalanceAfter === null ? '' : String(posting.postedBalanceAfter),
    });
  });
  const sum = (direction: string) =>
    String(
      rows.filter((r) => r.direction === direction).reduce((total, r) => total + Number(r.amountMinor), 0),
    );
  expect(parseChecksumLine(`${trailer.join(',')}\r\n`)).toEqual({
    rows: rows.length,
    debits: sum('debit'),
    credits: sum('credit'),
  });
}

describeTarget('streamed statement', inject('skipReason'), inject('targetName'), () => {
  let alice = '';
  let bob = '';
  let postings: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const open = async () => String((await api('POST', '/accounts', { currency: 'USD' })).json.id);
    alice = await open();
    bob = await open();
    for (let i = 1; i <= 12; i++) {
      expect(
        (await api('POST', `/accounts/${alice}/deposits`, { amount: i * 101, currency: 'USD' })).status,
      ).toBe(201);
      const move = { debitAccountId: alice, creditAccountId: bob, amount: i * 37, currency: 'USD' };
      expect((await api('POST', '/transfers', move)).status).toBe(201);
    }
    // The history is a read model: wait until it holds all 24 postings of alice.
    postings = await waitFor(
      async () => {
        const rows = await history(alice);
        return rows.length === 24 ? rows : undefined;
      },
      { what: "alice's 24 postings in the history", timeoutMs: 30_000 },
    );
  });

  it('streams every posting as CSV rows that match the history endpoint, then the checksum line', async () => {
    const { status, headers, text } = await statement(alice);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/csv/);
    // Streamed: no length known up front.
    expect(headers.get('content-length')).toBeNull();
    expectStatementOf(text, alice, postings);
  });

  it('keeps to the period [from, to) with keyset paging', async () => {
    const times = postings.map((p) => String(p.postedAt));
    const from = times[5] ?? '';
    const to = times[17] ?? '';
    const { status, text } = await statement(alice, `?from=${from}&to=${to}`);
    expect(status).toBe(200);
    const inPeriod = postings.filter((p) => String(p.postedAt) >= from && String(p.postedAt) < to);
    expect(inPeriod.length).toBeGreaterThan(0);
    expectStatementOf(text, alice, inPeriod);
  });

  it('answers problem+json before any CSV: unknown account, another tenant’s account, a bad period', async () => {
    const unknown = await statement('acc_doesnotexist');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toMatchObject({ type: 'urn:ledgerline:problem:account-not-found' });
    const foreign = await statement(alice, '', inject('secondApiKey'));
    expect(foreign.status).toBe(404);
    const backwards = await statement(alice, '?from=2026-12-02&to=2026-12-01');
    expect(backwards.status).toBe(400);
    expect(JSON.parse(backwards.text)).toMatchObject({ type: 'urn:ledgerline:problem:validation-failed' });
    expect((await other('GET', `/accounts/${bob}/statement.csv`)).status).toBe(404);
  });
});
