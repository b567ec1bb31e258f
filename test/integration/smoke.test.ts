import { expect, inject, it } from 'vitest';
import { checkContract } from '../support/http-api.ts';
import { describeTarget } from './target.ts';

const apiUrl = inject('apiUrl');
checkContract(apiUrl);
const apiKey = inject('apiKey');

describeTarget('smoke', inject('skipReason'), inject('targetName'), () => {
  it('answers an unknown account with a 404 problem document', async () => {
    const response = await fetch(`${apiUrl}/accounts/does-not-exist`, { headers: { 'x-api-key': apiKey } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 404 });
  });

  it('refuses a request without an API key with 401 (the authorizer answers Unauthorized)', async () => {
    const response = await fetch(`${apiUrl}/accounts/does-not-exist`);
    expect(response.status).toBe(401);
  });
});
