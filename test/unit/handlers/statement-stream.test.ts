import { PassThrough, type Writable } from 'node:stream';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Posting, ReadModelQueries } from '../../../lambdas/domain/projections/read-model.ts';
import { buildOpenApiDocument, type Json } from '../../../lambdas/handlers/api/openapi.ts';
import { streamStatement } from '../../../lambdas/handlers/api/statement-stream.ts';
import { posting } from '../shared/statement-fixtures.ts';

/** History of one account, 25 postings a minute apart, paged as the read model pages it. */
function history(count: number): { views: ReadModelQueries; reads: number[] } {
  const rows: Posting[] = Array.from({ length: count }, (_, i) =>
    posting({
      transferId: `tr_${String(i).padStart(3, '0')}`,
      postedAt: new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString(),
      direction: i % 2 === 0 ? 'credit' : 'debit',
      amount: i + 1,
    }),
  );
  const reads: number[] = [];
  const views = {
    postings: async (
      _tenant: string,
      accountId: string,
      after: { postedAt: string; transferId: string } | null,
      limit: number,
    ) => {
      if (accountId !== 'acc_1') return null;
      const key = (p: { postedAt: string; transferId: string }) => `${p.postedAt}#${p.transferId}`;
      const start = after ? rows.filter((row) => key(row) <= key(after)).length : 0;
      reads.push(start);
      return { rows: rows.slice(start, start + limit), more: start + limit < rows.length };
    },
  };
  return { views: views as unknown as ReadModelQueries, reads };
}

/** The tenant and its key's scopes come from the authorizer, as API Gateway passes them. */
const event = (
  accountId: string,
  query: Record<string, string> | null,
  tenantId = 'tenant-a',
  headers: Record<string, string> = {},
) =>
  ({
    path: `/accounts/${accountId}/statement.csv`,
    pathParameters: { id: accountId },
    queryStringParameters: query,
    headers,
    requestContext: { authorizer: { tenantId, scopes: 'read' }, requestId: 'req-1' },
  }) as unknown as APIGatewayProxyEvent;

async function run(views: ReadModelQueries, e: APIGatewayProxyEvent, pageSize?: number) {
  const stream = new PassThrough();
  const heads: { statusCode: number; headers: Record<string, string> }[] = [];
  const open = (out: Writable, metadata: { statusCode: number; headers: Record<string, string> }) => {
    heads.push(metadata);
    return out;
  };
  const body = stream.toArray();
  await streamStatement(e, stream, { ports: undefined as never, readModels: views }, open, pageSize);
  return { heads, text: Buffer.concat(await body).toString() };
}

describe('the streamed statement', () => {
  it('writes the header, every posting of the period page by page, and the checksum line', async () => {
    const { views, reads } = history(25);
    const { heads, text } = await run(
      views,
      event('acc_1', { from: '2026-12-01T00:03:00Z', to: '2026-12-01T00:20:00Z' }),
      4,
    );
    expect(heads).toEqual([
      {
        statusCode: 200,
        headers: expect.objectContaining({ 'content-type': expect.stringMatching(/^text\/csv/) }),
      },
    ]);
    const lines = text.split('\r\n');
    expect(lines[0]).toMatch(/^accountId,postedAt,transferId/);
    const rows = lines.slice(1, -2);
    expect(rows.map((row) => row.split(',')[2])).toEqual(
      Array.from({ length: 17 }, (_, i) => `tr_${String(i + 3).padStart(3, '0')}`),
    );
    // i = 3..19: credits are the even i (amount i + 1), debits the odd ones.
    const credits = [4, 6, 8, 10, 12, 14, 16, 18].map((i) => i + 1).reduce((a, b) => a + b);
    const debits = [3, 5, 7, 9, 11, 13, 15, 17, 19].map((i) => i + 1).reduce((a, b) => a + b);
    expect(lines.at(-2)).toBe(`#checksum,rows=17,debits=${debits},credits=${credits}`);
    expect(lines.at(-1)).toBe('');
    // Keyset pages of 4 from the period's start; it stops at the first page that passes `to`.
    expect(reads).toEqual([3, 7, 11, 15, 19]);
  });

  it('answers an unknown account with a problem before any CSV', async () => {
    const { views } = history(1);
    const { heads, text } = await run(views, event('acc_x', null));
    expect(heads).toEqual([
      {
        statusCode: 404,
        headers: { 'content-type': 'application/problem+json', 'X-Correlation-Id': 'req-1' },
      },
    ]);
    expect(JSON.parse(text)).toMatchObject({ type: 'urn:ledgerline:problem:account-not-found', status: 404 });
  });

  it('refuses a period that ends before it starts, and unknown parameters', async () => {
    const { views } = history(1);
    const queries: Record<string, string>[] = [
      { from: '2026-12-02', to: '2026-12-01' },
      { since: '2026-12-01' },
      { from: 'yesterday' },
    ];
    for (const query of queries) {
      const { heads, text } = await run(views, event('acc_1', query));
      expect(heads[0]?.statusCode).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ type: 'urn:ledgerline:problem:validation-failed' });
    }
  });

  it("answers with the caller's correlation id, or the request id, on the CSV and on a problem", async () => {
    const { views } = history(1);
    const given = await run(views, event('acc_1', null, 'tenant-a', { 'x-correlation-id': 'corr-42' }));
    expect(given.heads[0]?.headers['X-Correlation-Id']).toBe('corr-42');
    const refused = await run(views, event('acc_x', null, 'tenant-a', { 'X-Correlation-Id': 'corr-43' }));
    expect(refused.heads[0]?.headers['X-Correlation-Id']).toBe('corr-43');
    const plain = await run(views, event('acc_1', null));
    expect(plain.heads[0]?.headers['X-Correlation-Id']).toBe('req-1');
  });

  it('writes an empty statement (header and checksum) for a period without postings', async () => {
    const { views } = history(3);
    const { text } = await run(views, event('acc_1', { from: '2027-01-01', to: '2027-02-01' }));
    expect(text.split('\r\n').slice(1)).toEqual(['#checksum,rows=0,debits=0,credits=0', '']);
  });

  it('is what the OpenAPI document declares: text/csv only, header rows and checksum line', async () => {
    const paths = buildOpenApiDocument().paths as Record<string, Record<string, Json>>;
    const responses = paths['/accounts/{id}/statement.csv']?.get?.responses as Record<string, Json>;
    const content = responses['200']?.content as Record<
      string,
      { schema: { type: string; pattern: string } }
    >;
    expect(Object.keys(content)).toEqual(['text/csv']);
    expect(content['text/csv']?.schema.type).toBe('string');
    const declared = new RegExp(content['text/csv']?.schema.pattern ?? '$^');
    const { views } = history(25);
    const { text } = await run(views, event('acc_1', null), 4);
    expect(text).toMatch(declared);
    const quoted = text.replace('\r\n', '\r\nacc_1,x,"a ""quoted"", field",y\r\n');
    expect(quoted).toMatch(declared);
    // A body cut short by a failure mid-stream is not a statement.
    expect(text.slice(0, text.lastIndexOf('#checksum'))).not.toMatch(declared);
  });
});
