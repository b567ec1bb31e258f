import { LedgerError } from './errors.ts';

/**
 * Bulk imports of transfers from CSV (issue 14): the file's columns, one row's validation, RFC 4180
 * fields within a line, the error report's rows, and the split of a file into chunks of lines by byte
 * range. Pure: the application reads and writes the files.
 */

/** The columns an import file must have (any order; other columns, such as an error report's, are ignored). */
export const IMPORT_COLUMNS = [
  'row_id',
  'from_account',
  'to_account',
  'amount',
  'currency',
  'reference',
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** Where each column is in a row. */
export type ImportHeader = Readonly<Record<ImportColumn, number>>;

/** One row, ready to book: a transfer from one of the tenant's accounts to another. */
export interface ImportRow {
  readonly rowId: string;
  readonly fromAccount: string;
  readonly toAccount: string;
  /** Integer minor units. */
  readonly amount: number;
  readonly currency: string;
  readonly reference: string | null;
}

/** A row that was not booked: its line in the file (the header is line 1), why, and its fields as sent. */
export interface RejectedRow {
  readonly line: number;
  readonly rowId: string;
  readonly reason: string;
  readonly fields: readonly string[];
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

const ROW_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const AMOUNT = /^[1-9][0-9]{0,15}$/;
const CURRENCY = /^[A-Z]{3}$/;
const MAX_REFERENCE = 256;

/** Whether `value` can be a row id (a rejected row's id is kept only then, so that a retry can fix it). */
export const isRowId = (value: string): boolean => ROW_ID.test(value);

/** The fields of one line (RFC 4180 quoting; a field cannot hold a line break: lines are split first). */
export function csvFields(line: string): Parsed<string[]> {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) return { ok: false, reason: 'a quoted field is not closed' };
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
      if (i === line.length) return { ok: true, value: fields };
      if (line[i] !== ',') return { ok: false, reason: 'text after a closing quote' };
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const value = comma < 0 ? line.slice(i) : line.slice(i, comma);
      if (value.includes('"')) return { ok: false, reason: 'a quote inside an unquoted field' };
      fields.push(value);
      if (comma < 0) return { ok: true, value: fields };
      i = comma + 1;
    }
  }
}

/** One field as CSV writes it: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export const csvLine = (fields: readonly string[]): string => `${fields.map(csvField).join(',')}\n`;

/** The header line: every required column once (names are trimmed and case-insensitive). */
export function parseHeader(line: string): Parsed<ImportHeader> {
  const fields = csvFields(line);
  if (!fields.ok) return { ok: false, reason: `the header is not CSV: ${fields.reason}` };
  const names = fields.value.map((f) => f.trim().toLowerCase());
  const header: Partial<Record<ImportColumn, number>> = {};
  const missing: string[] = [];
  for (const column of IMPORT_COLUMNS) {
    const at = names.indexOf(column);
    if (at < 0) missing.push(column);
    else if (names.indexOf(column, at + 1) >= 0)
      return { ok: false, reason: `column ${column} appears twice` };
    else header[column] = at;
  }
  if (missing.length > 0)
    return {
      ok: false,
      reason: `the header lacks ${missing.join(', ')} (expected ${IMPORT_COLUMNS.join(',')})`,
    };
  return { ok: true, value: header as ImportHeader };
}

/** A row's fields checked: ids, a positive integer amount in minor units, a currency code. */
export function parseRow(fields: readonly string[], header: ImportHeader): Parsed<ImportRow> {
  const at = (column: ImportColumn) => fields[header[column]]?.trim() ?? '';
  const rowId = at('row_id');
  if (!ROW_ID.test(rowId))
    return { ok: false, reason: "row_id must be 1-64 letters, digits, '_', '.', ':' or '-'" };
  const fromAccount = at('from_account');
  const toAccount = at('to_account');
  if (!ACCOUNT_ID.test(fromAccount)) return { ok: false, reason: 'from_account is not an account id' };
  if (!ACCOUNT_ID.test(toAccount)) return { ok: false, reason: 'to_account is not an account id' };
  const amountText = at('amount');
  const amount = Number(amountText);
  if (!AMOUNT.test(amountText) || !Number.isSafeInteger(amount))
    return { ok: false, reason: `amount '${amountText}' is not a positive integer of minor units` };
  const currency = at('currency');
  if (!CURRENCY.test(currency))
    return { ok: false, reason: `currency '${currency}' is not an ISO 4217 code` };
  const reference = at('reference');
  if (reference.length > MAX_REFERENCE)
    return { ok: false, reason: `reference is longer than ${MAX_REFERENCE} characters` };
  return {
    ok: true,
    value: {
      rowId,
      fromAccount,
      toAccount,
      amount,
      currency,
      reference: reference === '' ? null : reference,
    },
  };
}

/** One line of a file: its text without the line break, and its number (the header is line 1). */
export interface NumberedLine {
  readonly line: number;
  readonly text: string;
}

/** Parses a data line; empty lines are skipped (undefined), as {@link FileScanner} does not count them. */
export function parseLine(
  { line, text }: NumberedLine,
  header: ImportHeader,
):
  | { readonly row: ImportRow; readonly line: number; readonly fields: readonly string[] }
  | RejectedRow
  | undefined {
  if (text === '') return undefined;
  const fields = csvFields(text);
  if (!fields.ok) return { line, rowId: '', reason: `not CSV: ${fields.reason}`, fields: [text] };
  const row = parseRow(fields.value, header);
  if (!row.ok)
    return { line, rowId: fields.value[header.row_id] ?? '', reason: row.reason, fields: fields.value };
  return { row: row.value, line, fields: fields.value };
}

/** The error report's header: where and why, then the import columns, so a fixed report can be re-imported. */
export const ERROR_REPORT_HEADER = csvLine(['line', 'reason', ...IMPORT_COLUMNS]);

/** A rejected row as a line of the error report (its original fields in the import's column order). */
export function errorReportLine(rejected: RejectedRow, header: ImportHeader | undefined): string {
  const original = header
    ? IMPORT_COLUMNS.map((c) => rejected.fields[header[c]] ?? '')
    : [rejected.rowId, ...IMPORT_COLUMNS.slice(1).map(() => '')];
  return csvLine([String(rejected.line), rejected.reason, ...original]);
}

/** A run of data lines of the file: bytes [start, end), whose first line is `firstLine`. */
export interface ChunkRange {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly firstLine: number;
  readonly lines: number;
}

export class ImportNotFoundError extends LedgerError {
  override readonly name = 'ImportNotFoundError';
  readonly kind = 'not-found' as const;
  readonly code = 'import-not-found';
  constructor(importId: string, options?: ErrorOptions) {
    super(`Import ${importId} does not exist`, { importId }, options);
  }
}

export class ImportNotRetryableError extends LedgerError {
  override readonly name = 'ImportNotRetryableError';
  readonly kind = 'rejected' as const;
  readonly code = 'import-not-retryable';
  constructor(importId: string, why: string, options?: ErrorOptions) {
    super(`Import ${importId} cannot be retried: ${why}`, { importId }, options);
  }
}
