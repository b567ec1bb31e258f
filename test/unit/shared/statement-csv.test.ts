import { describe, expect, it } from 'vitest';
import {
  CSV_HEADER,
  checksumLine,
  csvField,
  csvRecord,
  EMPTY_TOTALS,
  parseChecksumLine,
  postingRecords,
} from '../../../lambdas/shared/csv.ts';
import { posting } from './statement-fixtures.ts';

describe('the CSV writer (RFC 4180)', () => {
  it('quotes only fields with a comma, a quote, CR or LF, and doubles the quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField('')).toBe('');
  });

  it('ends every record with CRLF, the header included', () => {
    expect(csvRecord(['a', 'b,c'])).toBe('a,"b,c"\r\n');
    expect(CSV_HEADER).toBe(
      'accountId,postedAt,transferId,type,direction,counterpartyAccountId,currency,amountMinor,amount,postedBalanceAfterMinor\r\n',
    );
  });

  it('writes the amount in minor units and formatted with the currency exponent', () => {
    const { text } = postingRecords(
      [
        posting(),
        posting({ transferId: 'tr_2', currency: 'JPY', amount: 500, postedBalanceAfter: null }),
        posting({ transferId: 'tr_3', currency: 'BHD', amount: 5, direction: 'debit' }),
      ],
      EMPTY_TOTALS,
    );
    expect(text.split('\r\n')).toEqual([
      'acc_1,2026-12-01T10:00:00.000Z,tr_1,TransferPosted,credit,acc_2,USD,1234,12.34 USD,1234',
      'acc_1,2026-12-01T10:00:00.000Z,tr_2,TransferPosted,credit,acc_2,JPY,500,500 JPY,',
      'acc_1,2026-12-01T10:00:00.000Z,tr_3,TransferPosted,debit,acc_2,BHD,5,0.005 BHD,1234',
      '',
    ]);
  });

  it('adds each row to the control totals, past 2^53, and writes them as the checksum line', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const first = postingRecords(
      [posting({ amount: big }), posting({ direction: 'debit', amount: 7 })],
      EMPTY_TOTALS,
    );
    const second = postingRecords([posting({ amount: big })], first.totals);
    expect(second.totals).toEqual({ rows: 3, debits: '7', credits: String(2n * BigInt(big)) });
    const line = checksumLine(second.totals);
    expect(line).toBe(`#checksum,rows=3,debits=7,credits=${2n * BigInt(big)}\r\n`);
    expect(parseChecksumLine(line)).toEqual(second.totals);
    expect(parseChecksumLine(CSV_HEADER)).toBeUndefined();
  });
});
