import { beforeAll, describe, expect, it } from 'vitest';
import { commandRoute, logger, queryRoute } from '../../../lambdas/shared/api.ts';
import { apiEvent, bodyOf, lambdaContext } from '../../support/api-events.ts';
import { inMemoryPorts } from '../../support/in-memory-ports.ts';

const deps = { ports: inMemoryPorts(), retry: { maxAttempts: 1, wait: async () => {} } };
const read = queryRoute(() => deps, { run: async (_d, r) => r.tenantId, present: (t) => ({ t }) });
const write = commandRoute(() => deps, {
  run: async (_d, r) => r.tenantId,
  status: 201,
  present: (t) => ({ t }),
});
const admin = commandRoute(() => deps, {
  run: async (_d, r) => r.tenantId,
  status: 201,
  present: (t) => ({ t }),
  scope: 'admin',
});

beforeAll(() => logger.setLogLevel('SILENT'));

describe('scopes in the route layer', () => {
  it('lets a read-only key GET but answers 403 problem+json to its POST', async () => {
    const get = await read.handler(apiEvent('GET', '/things', { scopes: 'read' }), lambdaContext());
    expect(get.statusCode).toBe(200);
    expect(bodyOf(get)).toEqual({ t: 'tenant-a' });
    const post = await write.handler(apiEvent('POST', '/things', { scopes: 'read' }), lambdaContext());
    expect(post.statusCode).toBe(403);
    expect(post.headers?.['content-type']).toBe('application/problem+json');
    expect(bodyOf(post)).toMatchObject({
      type: expect.stringContaining('insufficient-scope'),
      requiredScope: 'write',
    });
  });

  it('lets a write key POST, and a route may ask for admin', async () => {
    const post = await write.handler(apiEvent('POST', '/things', { scopes: 'write' }), lambdaContext());
    expect(post.statusCode).toBe(201);
    const refused = await admin.handler(
      apiEvent('POST', '/things', { scopes: 'read,write' }),
      lambdaContext(),
    );
    expect(bodyOf(refused)).toMatchObject({ status: 403, requiredScope: 'admin' });
    const allowed = await admin.handler(apiEvent('POST', '/things', { scopes: 'admin' }), lambdaContext());
    expect(allowed.statusCode).toBe(201);
  });

  it('takes the tenant from the authorizer only: an API key id in the identity is not enough', async () => {
    const event = apiEvent('GET', '/things', { tenant: null });
    const answer = await read.handler(
      {
        ...event,
        requestContext: {
          ...event.requestContext,
          identity: { ...event.requestContext.identity, apiKeyId: 'k1' },
        },
      },
      lambdaContext(),
    );
    expect(answer.statusCode).toBe(401);
  });
});
