import { describe, expect, it } from 'vitest';
import { matchesPattern, parseFilterPattern, passesFilters } from '../../../local/event-filter.ts';

const insert = {
  eventName: 'INSERT',
  dynamodb: {
    Keys: { pk: { S: 'item#42' } },
    NewImage: { amount: { N: '10' }, tags: { L: [] } },
    SizeBytes: 120,
  },
};

describe('Lambda event filtering', () => {
  it('matches exact values in lists (alternatives) on the whole record', () => {
    expect(matchesPattern({ eventName: ['INSERT', 'MODIFY'] }, insert)).toBe(true);
    expect(matchesPattern({ eventName: ['REMOVE'] }, insert)).toBe(false);
  });

  it('matches nested keys and prefixes (what FilterCriteria.filter + FilterRule.beginsWith emit)', () => {
    const pattern = parseFilterPattern(
      '{"eventName":["INSERT"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"item#"}]}}}}',
      'f',
    );
    expect(matchesPattern(pattern, insert)).toBe(true);
    expect(matchesPattern(pattern, { ...insert, dynamodb: { Keys: { pk: { S: 'attempt#42' } } } })).toBe(
      false,
    );
  });

  it('supports suffix, anything-but, numeric, exists and equals-ignore-case', () => {
    expect(matchesPattern({ dynamodb: { Keys: { pk: { S: [{ suffix: '#42' }] } } } }, insert)).toBe(true);
    expect(matchesPattern({ eventName: [{ 'anything-but': ['REMOVE'] }] }, insert)).toBe(true);
    expect(matchesPattern({ eventName: [{ 'anything-but': { prefix: 'INS' } }] }, insert)).toBe(false);
    expect(matchesPattern({ dynamodb: { SizeBytes: [{ numeric: ['>', 100, '<=', 120] }] } }, insert)).toBe(
      true,
    );
    expect(matchesPattern({ dynamodb: { OldImage: [{ exists: false }] } }, insert)).toBe(true);
    expect(matchesPattern({ dynamodb: { OldImage: [{ exists: true }] } }, insert)).toBe(false);
    expect(matchesPattern({ dynamodb: { SizeBytes: [{ exists: true }] } }, insert)).toBe(true);
    expect(matchesPattern({ eventName: [{ 'equals-ignore-case': 'insert' }] }, insert)).toBe(true);
  });

  it('treats $or as alternatives and several filters as OR; no filters pass everything', () => {
    expect(
      matchesPattern({ $or: [{ eventName: ['REMOVE'] }, { dynamodb: { SizeBytes: [120] } }] }, insert),
    ).toBe(true);
    expect(passesFilters([{ eventName: ['REMOVE'] }, { eventName: ['INSERT'] }], insert)).toBe(true);
    expect(passesFilters([], insert)).toBe(true);
  });

  it('rejects operators it does not implement instead of passing everything', () => {
    expect(() => parseFilterPattern('{"source":[{"cidr":"10.0.0.0/24"}]}', 'Mapping.FilterCriteria')).toThrow(
      /Mapping\.FilterCriteria\.source: filter operator \{"cidr":"10.0.0.0\/24"\} is not supported locally/,
    );
    expect(() => parseFilterPattern('not json', 'M')).toThrow(/M: filter pattern is not JSON/);
  });
});
