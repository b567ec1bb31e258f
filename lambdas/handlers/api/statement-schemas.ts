import { z } from 'zod';

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

/** The statement as the contract describes it (the body is CSV, streamed; see the README). */
export const statementResponse = z
  .string()
  .describe(
    'text/csv (RFC 4180, CRLF): a header row, one row per posting in (postedAt, transferId) order, amounts in minor units and formatted, then `#checksum,rows=<n>,debits=<minor>,credits=<minor>`',
  );
