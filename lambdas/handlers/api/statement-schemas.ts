import { z } from 'zod';
import { POSTING_COLUMNS } from '../../shared/csv.ts';

/** A day (`2026-12-01`, its midnight UTC) or an instant with an offset, as an ISO 8601 UTC instant. */
export const instant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .transform((value) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value).toISOString());

/** `?from=&to=`: postings at or after `from` and before `to`; both optional (all of history). */
export const statementQuery = z
  .object({
    from: instant.default('1970-01-01T00:00:00.000Z'),
    to: instant.default('9999-12-31T23:59:59.999Z'),
  })
  .strict()
  .refine((period) => period.from < period.to, { message: '`from` must be before `to`', path: ['to'] });

/** A CSV record as RFC 4180 has it: fields unquoted (no quote, CR or LF) or quoted (quotes doubled), CRLF. */
const RECORD = '(?:[^"\\r\\n]|"(?:[^"]|"")*")*\\r\\n';

/**
 * The statement as the contract describes it (`text/csv`, streamed): the header row, one record per
 * posting, and the checksum line last. A body cut short by a failure mid-stream has no checksum line.
 */
export const statementResponse = z
  .string()
  .regex(
    new RegExp(
      `^${POSTING_COLUMNS.join(',')}\\r\\n(?:${RECORD})*#checksum,rows=\\d+,debits=\\d+,credits=\\d+\\r\\n$`,
    ),
  )
  .describe(
    'text/csv (RFC 4180, CRLF): a header row, one row per posting in (postedAt, transferId) order, amounts in minor units (`amountMinor`) and formatted with the currency’s exponent (`amount`, e.g. `12.34 USD`), then `#checksum,rows=<n>,debits=<minor>,credits=<minor>`',
  );
