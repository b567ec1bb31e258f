import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT, parseDuration, runTenantsCli } from '../../../cli/tenants-program.ts';
import { AwsUsagePlanKeys } from '../../../cli/tenants-target.ts';
import type { TenantAdmin } from '../../../lambdas/application/tenant-admin.ts';
import {
  InMemoryTenants,
  InMemoryUsagePlans,
  testHashing,
  testTenantAdmin,
} from '../../support/in-memory-tenants.ts';

let store: InMemoryTenants;
let admin: TenantAdmin;
let now: number;

function sink() {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
    },
    text: () => text,
  };
}

async function cli(...argv: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await runTenantsCli(
    argv,
    { stdout, stderr, env: {}, projectRoot: '/nowhere' },
    async () => admin,
  );
  return { code, out: stdout.text(), err: stderr.text() };
}

beforeEach(() => {
  now = Date.parse('2026-12-01T12:00:00Z');
  store = new InMemoryTenants();
  admin = testTenantAdmin(store, new InMemoryUsagePlans(), () => now);
});

describe('tenants CLI', () => {
  it('creates a tenant (keeping a given id), lists it, and refuses the same id again with exit 3', async () => {
    expect(await cli('create', '--name', 'Acme', '--tier', 'free', '--id', 'oldKeyId123')).toMatchObject({
      code: EXIT.ok,
      out: 'created tenant oldKeyId123 (Acme, tier free)\n',
    });
    const listed = await cli('list', '--json');
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({ tenantId: 'oldKeyId123', tier: 'free' }),
    ]);
    expect(listed.out).not.toContain('sealed');
    expect((await cli('create', '--name', 'Again', '--id', 'oldKeyId123')).code).toBe(EXIT.exists);
  });

  it('prints a new key once on stdout, and never its hash', async () => {
    await cli('create', '--name', 'Acme', '--id', 't1');
    const created = await cli('keys:create', 't1', '--scopes', 'read');
    expect(created.code).toBe(EXIT.ok);
    const secret = created.out.trim();
    expect(secret).toMatch(/^llk_secret_/);
    expect(created.err).toContain('not shown again');
    const listed = await cli('keys:list', 't1');
    expect(listed.out).toContain('read');
    expect(listed.out).not.toContain(secret);
    expect(listed.out).not.toContain(await testHashing.hash(secret));
  });

  it('rotates with an overlap and revokes at once', async () => {
    await cli('create', '--name', 'Acme', '--id', 't1');
    const first = JSON.parse((await cli('keys:create', 't1', '--json')).out) as { keyId: string };
    const rotated = JSON.parse(
      (await cli('keys:rotate', 't1', first.keyId, '--overlap', '90s', '--json')).out,
    ) as {
      old: { notAfter: string };
      scopes: string[];
    };
    expect(rotated.old.notAfter).toBe(new Date(now + 90_000).toISOString());
    expect(rotated.scopes).toEqual(['read', 'write']);
    const revoked = await cli('keys:revoke', 't1', first.keyId);
    expect(revoked).toMatchObject({ code: EXIT.ok, out: expect.stringContaining(`revoked ${first.keyId}`) });
    expect([...store.keys.values()].find((k) => k.keyId === first.keyId)?.revokedAt).toBe(
      new Date(now).toISOString(),
    );
  });

  it('moves a tenant to another tier', async () => {
    await cli('create', '--name', 'Acme', '--id', 't1');
    expect(await cli('tier:set', 't1', 'enterprise')).toMatchObject({ code: EXIT.ok });
    expect(store.tenants.get('t1')?.tier).toBe('enterprise');
  });

  it('answers 2 for what does not exist and 1 for bad usage', async () => {
    expect((await cli('keys:create', 'missing')).code).toBe(EXIT.notFound);
    await cli('create', '--name', 'Acme', '--id', 't1');
    expect((await cli('keys:revoke', 't1', 'key_missing')).code).toBe(EXIT.notFound);
    expect((await cli('tier:set', 't1', 'platinum')).code).toBe(EXIT.usage);
    expect((await cli('keys:create', 't1', '--scopes', 'root')).code).toBe(EXIT.usage);
    expect((await cli('keys:rotate', 't1', 'k', '--overlap', 'soon')).code).toBe(EXIT.usage);
    expect((await cli('create', '--name', 'Bad', '--id', 'not ok')).code).toBe(EXIT.usage);
    expect((await cli('frobnicate')).code).toBe(EXIT.usage);
    expect((await cli('--help')).code).toBe(EXIT.ok);
  });

  it('reads durations', () => {
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(() => parseDuration('1w')).toThrow();
  });
});

describe('tenants’ API Gateway keys on a stage (aws CLI)', () => {
  const PLANS = { free: 'pf', standard: 'ps', enterprise: 'pe' } as const;

  it('lets API Gateway generate the value (never on a command line) and links the key to the tier plan', async () => {
    const calls: string[][] = [];
    const aws = async (args: readonly string[]) => {
      calls.push([...args]);
      return args[1] === 'create-api-key' ? { id: 'k1', value: 'generated-value' } : {};
    };
    const keys = new AwsUsagePlanKeys(PLANS, {}, aws);
    expect(await keys.createKey('tenant-t1')).toEqual({ id: 'k1', value: 'generated-value' });
    await keys.link('enterprise', 'k1');
    expect(calls).toEqual([
      ['apigateway', 'create-api-key', '--name', 'tenant-t1', '--enabled'],
      [
        'apigateway',
        'create-usage-plan-key',
        '--usage-plan-id',
        'pe',
        '--key-id',
        'k1',
        '--key-type',
        'API_KEY',
      ],
    ]);
    expect(calls.flat().join(' ')).not.toContain('--value');
  });

  it('treats a key already out of the plan as unlinked, and fails on anything else', async () => {
    const gone = new AwsUsagePlanKeys(PLANS, {}, async () => {
      throw new Error(
        'aws apigateway delete-usage-plan-key failed: NotFoundException: Invalid API Key identifier',
      );
    });
    await expect(gone.unlink('free', 'k1')).resolves.toBeUndefined();
    const denied = new AwsUsagePlanKeys(PLANS, {}, async () => {
      throw new Error('AccessDeniedException');
    });
    await expect(denied.unlink('free', 'k1')).rejects.toThrow('AccessDenied');
  });
});
