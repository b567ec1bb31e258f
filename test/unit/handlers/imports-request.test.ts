import { describe, expect, it } from 'vitest';
import { tenantOf } from '../../../lambdas/handlers/api/imports-request.ts';
import { apiEvent } from '../../support/api-events.ts';

describe('the import routes’ tenant', () => {
  it('comes from the authorizer, never from the API key id', () => {
    const event = apiEvent('POST', '/imports', { tenant: 'tenant-a' });
    event.requestContext.identity.apiKeyId = 'someone-else';
    expect(tenantOf(event)).toBe('tenant-a');
    expect(() => tenantOf(apiEvent('GET', '/imports/{id}', { tenant: null }))).toThrow(
      expect.objectContaining({ status: 401 }),
    );
  });

  it('needs write to create or retry an import and read to see one', () => {
    const readOnly = { tenant: 'tenant-a', scopes: 'read' };
    expect(() => tenantOf(apiEvent('POST', '/imports', readOnly))).toThrow(
      expect.objectContaining({ status: 403, code: 'insufficient-scope' }),
    );
    expect(tenantOf(apiEvent('GET', '/imports/{id}', { ...readOnly, pathParameters: { id: 'im_1' } }))).toBe(
      'tenant-a',
    );
  });
});
