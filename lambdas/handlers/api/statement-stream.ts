import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { periodStart, postingPages, STATEMENT_PAGE_SIZE } from '../../application/statement.ts';
import type { ReadApiDeps } from '../../composition/read-api.ts';
import {
  CORRELATION_HEADER,
  correlationIdOf,
  logger,
  parseQuery,
  pathIdOf,
  queryOf,
} from '../../shared/api.ts';
import { CSV_HEADER, checksumLine, EMPTY_TOTALS, postingRecords } from '../../shared/csv.ts';
import { problemResponse } from '../../shared/problems.ts';
import { authorizedTenant } from '../../shared/tenant-context.ts';
import { statementQuery } from './statement-schemas.ts';

/** The status and headers API Gateway sends before a streamed body (`awslambda.HttpResponseStream.from`). */
export type OpenResponse = (
  stream: Writable,
  metadata: { statusCode: number; headers: Record<string, string> },
) => Writable;

/** Writes and waits while the client is slower than the reads: memory stays one page. */
export async function writeChunk(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

function statementRequest(event: APIGatewayProxyEvent) {
  const tenantId = authorizedTenant(event, 'read');
  const accountId = pathIdOf(event);
  const period = parseQuery(statementQuery, queryOf(event));
  return { tenantId, accountId, period };
}

/**
 * GET /accounts/{id}/statement.csv?from=&to=: the header row, then each history page as it is read,
 * then the checksum line. Errors found before the first byte are problem+json; a failure mid-stream
 * cuts the response short (the missing checksum line tells the client).
 */
export async function streamStatement(
  event: APIGatewayProxyEvent,
  responseStream: Writable,
  deps: ReadApiDeps,
  open: OpenResponse,
  pageSize = STATEMENT_PAGE_SIZE,
): Promise<void> {
  let out: Writable | undefined;
  try {
    const { tenantId, accountId, period } = statementRequest(event);
    const range = { after: periodStart(period), to: period.to };
    const pages = postingPages(deps.readModels, tenantId, accountId, range, pageSize);
    let page = await pages.next();
    out = open(responseStream, {
      statusCode: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8; header=present',
        'content-disposition': `attachment; filename="statement-${accountId}.csv"`,
        [CORRELATION_HEADER]: correlationIdOf(event),
      },
    });
    await writeChunk(out, CSV_HEADER);
    let totals = EMPTY_TOTALS;
    for (; !page.done; page = await pages.next()) {
      const records = postingRecords(page.value, totals);
      totals = records.totals;
      await writeChunk(out, records.text);
    }
    out.end(checksumLine(totals));
  } catch (error) {
    if (out) throw error;
    const problem = problemResponse(error, event.path);
    if (problem.statusCode >= 500) logger.error('Request failed', { error });
    const headers = {
      ...Object.fromEntries(Object.entries(problem.headers ?? {}).map(([k, v]) => [k, String(v)])),
      [CORRELATION_HEADER]: correlationIdOf(event),
    };
    open(responseStream, { statusCode: problem.statusCode, headers }).end(problem.body);
  }
}
