import { describe, expect, it } from 'vitest';
import {
  csvFields,
  csvLine,
  errorReportLine,
  type ImportHeader,
  parseHeader,
  parseLine,
  parseRow,
} from '../../../lambdas/domain/imports.ts';
import { chunkLines, FileScanner } from '../../../lambdas/domain/imports-scanner.ts';

const HEADER = 'row_id,from_account,to_account,amount,currency,reference';
const header = (line = HEADER): ImportHeader => {
  const parsed = parseHeader(line);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
};

function scan(bytes: Uint8Array, rowsPerChunk = 2, pieces = [bytes.length]) {
  const scanner = new FileScanner(rowsPerChunk, 3);
  let at = 0;
  for (const n of pieces) {
    scanner.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at < bytes.length) scanner.push(bytes.subarray(at));
  return scanner.end();
}

describe('import rows', () => {
  it('splits RFC 4180 fields and writes them back', () => {
    expect(csvFields('a,"b,c","say ""hi""",')).toEqual({ ok: true, value: ['a', 'b,c', 'say "hi"', ''] });
    expect(csvFields('a,"b')).toEqual({ ok: false, reason: 'a quoted field is not closed' });
    expect(csvFields('a,b"c')).toEqual({ ok: false, reason: 'a quote inside an unquoted field' });
    expect(csvLine(['1', 'b,c', 'say "hi"'])).toBe('1,"b,c","say ""hi"""\n');
  });

  it('finds the columns in any order and names the missing ones', () => {
    expect(header('Reference, currency,amount,to_account,from_account,row_id,extra')).toEqual({
      reference: 0,
      currency: 1,
      amount: 2,
      to_account: 3,
      from_account: 4,
      row_id: 5,
    });
    expect(parseHeader('row_id,amount')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('from_account, to_account, currency, reference'),
    });
  });

  it('accepts integer minor units and ISO codes only', () => {
    const h = header();
    expect(parseRow(['r1', 'acct_a', 'acct_b', '1500', 'EUR', 'rent'], h)).toEqual({
      ok: true,
      value: {
        rowId: 'r1',
        fromAccount: 'acct_a',
        toAccount: 'acct_b',
        amount: 1500,
        currency: 'EUR',
        reference: 'rent',
      },
    });
    for (const [amount, currency] of [
      ['15.00', 'EUR'],
      ['0', 'EUR'],
      ['-5', 'EUR'],
      ['99999999999999999', 'EUR'],
      ['5', 'eur'],
    ]) {
      expect(parseRow(['r1', 'a', 'b', amount ?? '', currency ?? '', ''], h).ok).toBe(false);
    }
    expect(parseRow(['', 'a', 'b', '1', 'EUR', ''], h)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('row_id'),
    });
  });

  it('reports a bad line with its number and fields, in the import column order', () => {
    const rejected = parseLine({ line: 7, text: 'r7,acct_a,acct_b,1.5,EUR,"x,y"' }, header());
    expect(rejected).toEqual({
      line: 7,
      rowId: 'r7',
      reason: expect.stringContaining("amount '1.5'"),
      fields: ['r7', 'acct_a', 'acct_b', '1.5', 'EUR', 'x,y'],
    });
    if (rejected && 'reason' in rejected) {
      expect(errorReportLine(rejected, header())).toBe(
        `7,amount '1.5' is not a positive integer of minor units,r7,acct_a,acct_b,1.5,EUR,"x,y"\n`,
      );
    }
    expect(parseLine({ line: 8, text: '' }, header())).toBeUndefined();
  });
});

describe('FileScanner', () => {
  const file = `\uFEFF${HEADER}\r\nr1,a,b,1,EUR,\r\n\r\nr2,a,b,2,EUR,é\nr3,a,b,3,EUR,\nr4,a,b,4,EUR,`;
  const bytes = new TextEncoder().encode(file);

  it('cuts non-empty data lines into chunks by byte range, whatever the buffer boundaries', () => {
    const whole = scan(bytes);
    expect(whole.header).toBe(HEADER);
    expect(whole.rows).toBe(4);
    expect(whole.encodingError).toBeUndefined();
    expect(whole.sample.map((l) => l.line)).toEqual([2, 4, 5]);
    expect(whole.chunks.map((c) => [c.firstLine, c.lines])).toEqual([
      [2, 3],
      [5, 2],
    ]);
    const texts = whole.chunks.map((c) => new TextDecoder().decode(bytes.subarray(c.start, c.end)));
    expect(chunkLines(texts[0] ?? '', 2)).toEqual([
      { line: 2, text: 'r1,a,b,1,EUR,' },
      { line: 3, text: '' },
      { line: 4, text: 'r2,a,b,2,EUR,é' },
    ]);
    expect(chunkLines(texts[1] ?? '', 5).map((l) => l.text)).toEqual(['r3,a,b,3,EUR,', 'r4,a,b,4,EUR,']);
    for (const pieces of [
      [1, 1, 1, 1],
      [5, 50],
      [
        3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1,
      ],
    ]) {
      expect(scan(bytes, 2, pieces)).toEqual(whole);
    }
  });

  it('says where the bytes stop being UTF-8', () => {
    const latin1 = Uint8Array.from([...new TextEncoder().encode(`${HEADER}\nr1,a,b,1,EUR,caf`), 0xe9, 0x0a]);
    expect(scan(latin1).encodingError).toMatch(/not UTF-8/);
  });
});
