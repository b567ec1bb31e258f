// Done-when of issue 14 item 3: an import of a file with duplicated rows, bad rows and a re-delivered
// chunk books every good row exactly once (balances checked) and reports every bad row with its line.
import { ListQueuesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, expect, inject, it } from 'vitest';
import { FileScanner } from '../../lambdas/domain/imports-scanner.ts';
import { apiKeyIdFor } from '../../local/runtime.ts';
import { apiClient, checkContract } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

const apiUrl = inject('apiUrl');
const apiKey = inject('apiKey');
const local = inject('localRuntime');
checkContract(apiUrl);
const request = (method: string, path: string, headers: Record<string, string> = {}) =>
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
  apiClient(apiUrl, apiKey)<any>(method, path, undefined, headers);
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const LATEST = '9999-12-31T23:59:59Z';
const PAIRS = 16;
const HEADER = 'row_id,from_account,to_account,amount,currency,reference';

const from: string[] = [];
const to: string[] = [];

async function openAccount(deposit: number): Promise<string> {
  const opened = await apiClient(apiUrl, apiKey)<{ id: string }>('POST', '/accounts', { currency: 'USD' });
  expect(opened.status).toBe(201);
  if (deposit > 0) {
    const paid = await apiClient(apiUrl, apiKey)('POST', `/accounts/${opened.json.id}/deposits`, {
      amount: deposit,
      currency: 'USD',
    });
    expect(paid.status).toBe(201);
  }
  return opened.json.id;
}

async function balances(id: string): Promise<{ debitsPosted: number; creditsPosted: number }> {
  const reply = await request('GET', `/accounts/${id}?asOf=${LATEST}`);
  expect(reply.status).toBe(200);
  return reply.json.balances;
}

async function upload(url: string, body: string): Promise<string> {
  const response = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'text/csv' } });
  expect(response.status).toBe(200);
  return response.headers.get('etag') ?? '';
}

async function settled(id: string) {
  return waitFor(
    async () => {
      const reply = await request('GET', `/imports/${id}`);
      return reply.json.status === 'done' || reply.json.status === 'failed' ? reply.json : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 500, what: `import ${id} done` },
  );
}

async function startImport(key: string, path = '/imports') {
  const created = await request('POST', path, { 'Idempotency-Key': key });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ status: 'awaiting-upload', upload: { method: 'PUT' } });
  return created.json;
}

describeTarget('bulk imports', inject('skipReason'), inject('targetName'), () => {
  beforeAll(async () => {
    // Sixteen pairs: a chunk's rows of distinct accounts are booked side by side.
    for (let i = 0; i < PAIRS; i++) {
      from.push(await openAccount(1_000_000));
      to.push(await openAccount(0));
    }
  }, 120_000);

  it('books every good row once, reports every bad and duplicated row by line, and retries the fixed rejected rows', async () => {
    const lines = [HEADER];
    const expected = { debits: from.map(() => 0), credits: to.map(() => 0) };
    for (let i = 1; i <= 1000; i++) {
      const amount = 1 + (i % 7);
      const p = i % PAIRS;
      lines.push(`r${i},${from[p]},${to[p]},${amount},USD,"payroll ${i}, batch ${run}"`);
      expected.debits[p] = (expected.debits[p] ?? 0) + amount;
      expected.credits[p] = (expected.credits[p] ?? 0) + amount;
    }
    const bad = [
      [`b1,${from[0]},${to[0]},12.50,USD,`, "amount '12.50'"],
      [`b2,${from[0]},${to[0]},5,usd,`, "currency 'usd'"],
      [`b3,${from[0]},,5,USD,`, 'to_account'],
      [`b4,${from[0]},acct_nope,5,USD,`, 'acct_nope does not exist'],
      [`b5,${from[1]},${to[1]},99999999,USD,`, '99999999 requested'],
      [`b6,${from[1]},"${to[1]},5,USD,`, 'not CSV'],
    ] as const;
    const duplicates = [
      `r5,${from[1]},${to[1]},3,USD,`,
      `r999,${from[3]},${to[3]},1,USD,`,
      `r5,${from[1]},${to[1]},6,USD,`,
    ];
    // Bad rows and duplicates after the first 100 rows (the early check samples those).
    lines.splice(200, 0, bad[0][0], duplicates[0] ?? '', bad[1][0]);
    lines.splice(700, 0, bad[2][0], bad[3][0], '', duplicates[1] ?? '');
    lines.push(bad[4][0], duplicates[2] ?? '', bad[5][0]);
    const file = `${lines.join('\r\n')}\r\n`;
    const lineOf = (text: string, fromLine = 1) => lines.indexOf(text, fromLine - 1) + 1;

    const created = await startImport(`import-${run}`);
    // The same Idempotency-Key: the same import.
    expect((await startImport(`import-${run}`)).id).toBe(created.id);
    const etag = await upload(created.upload.url, file);

    // Re-deliver every chunk: the messages the validator sends, sent once more by us once it has split.
    await waitFor(
      async () => (await request('GET', `/imports/${created.id}`)).json.status !== 'awaiting-upload',
      {
        timeoutMs: 60_000,
        what: 'the split',
      },
    );
    if (local) {
      const sqs = new SQSClient({
        endpoint: local.sqsEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        useQueueUrlAsEndpoint: false,
      });
      const { QueueUrls } = await sqs.send(new ListQueuesCommand({}));
      const chunksQueue = (QueueUrls ?? []).find((url) => /ImportsChunksQueue/.test(url)) ?? '';
      const scanner = new FileScanner(1000, 0);
      scanner.push(new TextEncoder().encode(file));
      const { chunks } = scanner.end();
      expect(chunks).toHaveLength(2);
      for (const chunk of chunks) {
        const body = JSON.stringify({ tenantId: apiKeyIdFor(apiKey), importId: created.id, etag, chunk });
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: chunksQueue.replace(/^http:\/\/[^/]+/, local.sqsEndpoint),
            MessageBody: body,
          }),
        );
      }
      sqs.destroy();
    }

    const done = await settled(created.id);
    expect(done).toMatchObject({
      status: 'done',
      rows: 1009,
      accepted: 1000,
      rejected: 6,
      duplicate: 3,
      pending: 0,
    });
    const report = await (await fetch(done.errorReport.url)).text();
    const reportLines = report.trimEnd().split('\n');
    const reported = (line: number) => reportLines.find((l) => l.startsWith(`${line},`));
    expect(reportLines[0]).toBe(`line,reason,${HEADER}`);
    for (const [text, reason] of bad) {
      expect(reported(lineOf(text)), text).toContain(reason);
    }
    expect(reported(lineOf(duplicates[1] ?? ''))).toContain('duplicate: row_id r999');
    // r5 is on three lines, two in the first chunk and the last in the second. Within a chunk the first
    // line keeps a row id; across chunks, the line whose chunk claims it first (README, "Bulk imports").
    // Exactly one of them is booked, and the balances are that line's.
    const r5Original = lineOf(lines.find((l) => l.startsWith('r5,')) ?? '');
    const r5Lines = [r5Original, lineOf(duplicates[0] ?? ''), lineOf(duplicates[2] ?? '', r5Original + 1)];
    expect(new Set(r5Lines).size).toBe(3);
    const booked = r5Lines.filter((line) => !reported(line));
    expect(booked).toHaveLength(1);
    for (const line of r5Lines.filter((l) => l !== booked[0]))
      expect(reported(line)).toContain('duplicate: row_id r5');
    expect([r5Original, r5Lines[2]]).toContain(booked[0]);
    if (booked[0] === r5Lines[2]) {
      // The second chunk's r5 (6 from pair 1) was booked instead of the first line's (6 from pair 5).
      expected.debits[5] = (expected.debits[5] ?? 0) - 6;
      expected.credits[5] = (expected.credits[5] ?? 0) - 6;
      expected.debits[1] = (expected.debits[1] ?? 0) + 6;
      expected.credits[1] = (expected.credits[1] ?? 0) + 6;
    }
    for (let i = 0; i < PAIRS; i++) {
      expect(await balances(from[i] ?? '')).toMatchObject({
        debitsPosted: expected.debits[i],
        creditsPosted: 1_000_000,
      });
      expect(await balances(to[i] ?? '')).toMatchObject({
        creditsPosted: expected.credits[i],
        debitsPosted: 0,
      });
    }

    expect(reportLines).toHaveLength(1 + 6 + 3);

    // Fix two rejected rows and send them again, with an accepted one: only the fixed ones are booked.
    const retry = await startImport(`retry-${run}`, `/imports/${created.id}/retry-rejected`);
    expect(retry.retryOf).toBe(created.id);
    await upload(
      retry.upload.url,
      [
        `line,reason,${HEADER}`,
        `${lineOf(bad[0][0])},x,b1,${from[0]},${to[0]},1250,USD,`,
        `9,x,b2,${from[0]},${to[0]},5,USD,`,
        `2,x,r1,${from[1]},${to[1]},2,USD,`,
        '',
      ].join('\n'),
    );
    expect(await settled(retry.id)).toMatchObject({ status: 'done', accepted: 2, duplicate: 1, rejected: 0 });
    expect(await balances(from[0] ?? '')).toMatchObject({ debitsPosted: (expected.debits[0] ?? 0) + 1255 });
  }, 300_000);

  it('fails a file whose header or encoding is wrong, with the reason', async () => {
    const created = await startImport(`bad-${run}`);
    await upload(created.upload.url, 'id,from,to,amount\n1,a,b,5\n');
    expect(await settled(created.id)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('the header lacks row_id'),
    });
    const latin1 = await startImport(`latin1-${run}`);
    const bytes = Buffer.concat([
      Buffer.from(`${HEADER}\nr1,${from[0]},${to[0]},5,USD,caf`),
      Buffer.from([0xe9, 0x0a]),
    ]);
    const response = await fetch(latin1.upload.url, {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': 'text/csv' },
    });
    expect(response.status).toBe(200);
    expect(await settled(latin1.id)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('not UTF-8'),
    });
    expect((await request('GET', '/imports/imp_unknown')).status).toBe(404);
  }, 120_000);
});
