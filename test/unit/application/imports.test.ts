import { describe, expect, it } from 'vitest';
import { parseSourceKey, sourceKey } from '../../../lambdas/application/imports.ts';
import { importIdFor } from '../../../lambdas/shared/imports-ids.ts';

describe('import identities', () => {
  it('derives one import id per tenant, Idempotency-Key and parent', () => {
    const id = importIdFor('t1', 'key-1');
    expect(id).toMatch(/^imp_[A-Za-z0-9]{20,}$/);
    expect(importIdFor('t1', 'key-1')).toBe(id);
    expect(
      new Set([id, importIdFor('t2', 'key-1'), importIdFor('t1', 'key-2'), importIdFor('t1', 'key-1', id)])
        .size,
    ).toBe(4);
  });

  it('reads the tenant and import from a source key as an S3 event sends it, and nothing else', () => {
    expect(parseSourceKey(sourceKey('t1', 'imp_1'))).toEqual({ tenantId: 't1', importId: 'imp_1' });
    expect(parseSourceKey('t1/imp_1/errors.csv')).toBeUndefined();
    expect(parseSourceKey('t1/imp+1/source.csv')).toBeUndefined();
    expect(parseSourceKey('t1/x/y/source.csv')).toBeUndefined();
  });
});
