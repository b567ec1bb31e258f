import { describe, expect, it } from 'vitest';
import type { ApiRoute } from '../../../local/api-model.ts';
import { matchRoute } from '../../../local/api-routing.ts';

const route = (path: string, method: string): ApiRoute => ({
  logicalId: `${method}${path}`,
  resourceId: path,
  path,
  method,
  apiKeyRequired: true,
  integration: { kind: 'lambda', functionName: 'fn' },
});

const routes = [
  route('/accounts', 'POST'),
  route('/accounts/{id}', 'GET'),
  route('/accounts/summary', 'GET'),
  route('/accounts/{id}/deposits', 'POST'),
  route('/files/{proxy+}', 'ANY'),
];

describe('route matching', () => {
  it('prefers literal segments over parameters and decodes parameters', () => {
    expect(matchRoute(routes, 'GET', '/accounts/summary')?.route.path).toBe('/accounts/summary');
    const match = matchRoute(routes, 'GET', '/accounts/acct%201');
    expect(match?.route.path).toBe('/accounts/{id}');
    expect(match?.pathParameters).toEqual({ id: 'acct 1' });
  });

  it('matches greedy parameters and ANY', () => {
    const match = matchRoute(routes, 'DELETE', '/files/a/b/c.txt');
    expect(match?.pathParameters).toEqual({ proxy: 'a/b/c.txt' });
  });

  it('finds nothing for an unknown path or a method the resource lacks (API Gateway answers 403)', () => {
    expect(matchRoute(routes, 'GET', '/nope')).toBeUndefined();
    expect(matchRoute(routes, 'DELETE', '/accounts/1')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/accounts')).toBeUndefined();
  });
});
