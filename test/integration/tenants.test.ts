// Tenants and keys through the operator CLI against the suite's local runtime, checked over HTTP: a
// read-only key cannot write, a rotated key works for its overlap only, a revoked key is refused within
// the authorizer's cache TTL, and another tenant's resource stays a 404.
import { join } from 'node:path';
import { beforeAll, expect, inject, it } from 'vitest';
import { runCliJson } from '../support/cli-runner.ts';
import { apiClient, checkContract } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

const apiUrl = inject('apiUrl').replace(/\/$/, '');
checkContract(apiUrl);
const local = inject('localRuntime');
const ENTRY = join(import.meta.dirname, '..', '..', 'cli', 'tenants.ts');
/** The stack's authorizer cache TTL outside production (lib/ledgerline-stack.ts). */
const CACHE_TTL_MS = 5_000;

/** `npm run tenants -- <args> --json` against the suite's runtime. */
const tenants = (...args: string[]) => runCliJson(ENTRY, args, local?.stateFile, 60_000);

const withKey = (key: string) => apiClient(apiUrl, key);
const withBearer = (key: string) => {
  const api = apiClient(apiUrl, '');
  return (method: string, path: string, body?: unknown) =>
    api(method, path, body, { authorization: `Bearer ${key}` });
};
const openAccount = (request: ReturnType<typeof withBearer>) =>
  request('POST', '/accounts', { currency: 'USD' });

let tenantId = '';

describeTarget(
  'tenants and keys',
  local ? null : 'needs the local runtime (its state file)',
  inject('targetName'),
  () => {
    beforeAll(async () => {
      const created = await tenants(
        'create',
        '--name',
        `it-${Date.now().toString(36)}`,
        '--tier',
        'standard',
      );
      expect(created.code, created.stderr).toBe(0);
      tenantId = created.json.tenantId;
    });

    it('lets a read-only key GET but answers 403 problem+json to its POST', async () => {
      const created = await tenants('keys:create', tenantId, '--scopes', 'read');
      expect(created.code, created.stderr).toBe(0);
      const readOnly = withKey(created.json.key);
      const list = await readOnly('GET', '/payments');
      expect(list.status).toBe(200);
      const post = await readOnly('POST', '/accounts', { currency: 'USD' });
      expect(post.status).toBe(403);
      expect(post.headers.get('content-type')).toBe('application/problem+json');
      expect(post.json).toMatchObject({
        type: expect.stringContaining('insufficient-scope'),
        requiredScope: 'write',
      });
    });

    it('serves a new tenant by Bearer or x-api-key, and its resources are a 404 to another tenant', async () => {
      const { json } = await tenants('keys:create', tenantId);
      const opened = await openAccount(withBearer(json.key));
      expect(opened.status).toBe(201);
      const id = `${opened.json.id as string}?asOf=9999-12-31T23:59:59Z`;
      expect((await withKey(json.key)('GET', `/accounts/${id}`)).status).toBe(200);
      expect((await withKey(inject('apiKey'))('GET', `/accounts/${id}`)).status).toBe(404);
      expect((await withKey('llk_not-a-key')('GET', `/accounts/${id}`)).status).toBe(401);
    });

    it('keeps a rotated key working during its overlap and refuses it after', async () => {
      const first = await tenants('keys:create', tenantId);
      expect((await openAccount(withBearer(first.json.key))).status).toBe(201);
      const rotated = await tenants('keys:rotate', tenantId, first.json.keyId, '--overlap', '3s');
      expect(rotated.code, rotated.stderr).toBe(0);
      const notAfter = Date.parse(rotated.json.old.notAfter);
      expect((await openAccount(withBearer(rotated.json.key))).status).toBe(201);
      const during = await openAccount(withBearer(first.json.key));
      if (Date.now() < notAfter - 200) expect(during.status).toBe(201);
      await waitFor(async () => (await openAccount(withBearer(first.json.key))).status === 401, {
        timeoutMs: notAfter - Date.now() + 2_000,
        what: 'the old key refused after its overlap',
      });
      expect((await openAccount(withBearer(rotated.json.key))).status).toBe(201);
    });

    it('refuses a revoked key within the authorizer cache TTL', async () => {
      const { json } = await tenants('keys:create', tenantId);
      const request = withKey(json.key);
      expect((await request('GET', '/payments')).status).toBe(200);
      const revoked = await tenants('keys:revoke', tenantId, json.keyId);
      expect(revoked.code, revoked.stderr).toBe(0);
      const started = Date.now();
      await waitFor(async () => (await request('GET', '/payments')).status === 401, {
        timeoutMs: CACHE_TTL_MS + 2_000,
        what: 'the revoked key refused',
      });
      expect(Date.now() - started).toBeLessThanOrEqual(CACHE_TTL_MS + 2_000);
    });

    it('says 2 for an unknown tenant and 3 for a taken id', async () => {
      expect((await tenants('keys:create', 'tn_missing')).code).toBe(2);
      expect((await tenants('create', '--name', 'again', '--id', tenantId)).code).toBe(3);
    });
  },
);
