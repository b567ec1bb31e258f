import type { CsvTotals } from '../domain/exports.ts';
import { currency, formatMinor } from '../domain/money.ts';
import type { Posting } from '../domain/projections/read-model.ts';

/** The columns of a statement or ledger export, in order. */
export const POSTING_COLUMNS = [
  'accountId',
  'postedAt',
  'transferId',
  'type',
  'direction',
  'counterpartyAccountId',
  'currency',
  'amountMinor',
  'amount',
  'postedBalanceAfterMinor',
] as const;

/** RFC 4180: a field with a comma, a quote, CR or LF is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One record, CRLF-terminated (RFC 4180). */
export function csvRecord(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export type { CsvTotals } from '../domain/exports.ts';

export const EMPTY_TOTALS: CsvTotals = { rows: 0, debits: '0', credits: '0' };

/** The header row. */
export const CSV_HEADER = csvRecord(POSTING_COLUMNS);

/** One posting as a record: the amount in minor units and formatted with its currency's exponent. */
export function postingRecord(posting: Posting): string {
  return csvRecord([
    posting.accountId,
    posting.postedAt,
    posting.transferId,
    posting.type,
    posting.direction,
    posting.counterpartyAccountId,
    posting.currency,
    String(posting.amount),
    formatMinor(posting.amount, currency(posting.currency)),
    posting.postedBalanceAfter === null ? '' : String(posting.postedBalanceAfter),
  ]);
}

/** The postings as records, and the totals with them added. */
export function postingRecords(
  postings: readonly Posting[],
  totals: CsvTotals,
): { readonly text: string; readonly totals: CsvTotals } {
  let debits = BigInt(totals.debits);
  let credits = BigInt(totals.credits);
  let text = '';
  for (const posting of postings) {
    text += postingRecord(posting);
    if (posting.direction === 'debit') debits += BigInt(posting.amount);
    else credits += BigInt(posting.amount);
  }
  return {
    text,
    totals: { rows: totals.rows + postings.length, debits: String(debits), credits: String(credits) },
  };
}

/** The trailing line: `#checksum,rows=<n>,debits=<minor>,credits=<minor>` (one record, so any CSV reader parses it). */
export function checksumLine(totals: CsvTotals): string {
  return csvRecord([
    '#checksum',
    `rows=${totals.rows}`,
    `debits=${totals.debits}`,
    `credits=${totals.credits}`,
  ]);
}

/** Reads a checksum line back (for tests and consumers); undefined when `line` is not one. */
export function parseChecksumLine(line: string): CsvTotals | undefined {
  const match = /^#checksum,rows=(\d+),debits=(\d+),credits=(\d+)\r?\n?$/.exec(line);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { rows: Number(match[1]), debits: match[2], credits: match[3] };
}
