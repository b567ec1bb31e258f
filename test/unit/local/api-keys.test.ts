import { describe, expect, it } from 'vitest';
import {
  ApiKeyRegistry,
  CONTROL_PREFIX,
  LocalUsagePlanKeys,
  registryControl,
  tierPlanIds,
} from '../../../local/api-keys.ts';

const PLANS = { free: 'plan-free', standard: 'plan-standard', enterprise: 'plan-enterprise' } as const;
const registry = () => new ApiKeyRegistry({ keys: [], stageUsagePlanIds: Object.values(PLANS) });

describe('the local gateway’s key registry and control plane', () => {
  it('accepts a created key only once a usage plan of the stage holds it, and not after unlinking', async () => {
    const keys = registry();
    const plans = new LocalUsagePlanKeys(registryControl(keys), PLANS);
    const { id, value } = await plans.createKey('tenant-a');
    expect(keys.byValue(value)).toMatchObject({ id, validForStage: false });
    await plans.link('free', id);
    expect(keys.byValue(value)).toMatchObject({ id, validForStage: true, enabled: true });
    await expect(plans.link('standard', id)).rejects.toThrow(/409/);
    await plans.unlink('free', id);
    expect(keys.byValue(value)?.validForStage).toBe(false);
    await plans.unlink('free', id); // already out: nothing to undo
    await plans.link('standard', id);
    expect(keys.byValue(value)?.validForStage).toBe(true);
  });

  it('answers 404 for an unknown plan or key and leaves other paths to the gateway', () => {
    const keys = registry();
    const body = Buffer.from(JSON.stringify({ keyId: 'nope' }));
    expect(keys.control('POST', `${CONTROL_PREFIX}/usageplans/plan-free/keys`, body)?.statusCode).toBe(404);
    expect(keys.control('POST', `${CONTROL_PREFIX}/usageplans/other/keys`, body)?.statusCode).toBe(404);
    expect(keys.control('GET', '/accounts', Buffer.alloc(0))).toBeUndefined();
    expect(keys.byValue(undefined)).toBeUndefined();
  });

  it('restores a tenant’s key with its id and value into its plan', () => {
    const keys = registry();
    keys.restore({ id: 'uk1', name: 'tenant', value: 'v'.repeat(30), planId: PLANS.standard });
    expect(keys.byValue('v'.repeat(30))).toMatchObject({ id: 'uk1', validForStage: true });
  });

  it('finds every key by its value through a rotation: the new one once linked, the old one until revoked', async () => {
    const keys = new ApiKeyRegistry({
      keys: [
        {
          id: 'tk',
          value: 'template-value',
          name: 't',
          source: 'template',
          enabled: true,
          validForStage: true,
        },
      ],
      stageUsagePlanIds: Object.values(PLANS),
    });
    const plans = new LocalUsagePlanKeys(registryControl(keys), PLANS);
    const old = await plans.createKey('tenant-r');
    await plans.link('free', old.id);
    const rotated = await plans.createKey('tenant-r');
    await plans.link('free', rotated.id);
    expect([keys.byValue(old.value)?.id, keys.byValue(rotated.value)?.id]).toEqual([old.id, rotated.id]);
    await plans.unlink('free', old.id);
    expect(keys.byValue(old.value)?.validForStage).toBe(false);
    expect(keys.byValue(rotated.value)?.validForStage).toBe(true);
    expect(keys.byValue('template-value')?.id).toBe('tk');
    expect(keys.byValue('no-such-value')).toBeUndefined();
  });

  it('re-files a key restored under a known id with a new value: the old value no longer finds it', () => {
    const keys = registry();
    keys.restore({ id: 'uk1', name: 'tenant', value: 'first-value', planId: PLANS.free });
    keys.restore({ id: 'uk1', name: 'tenant', value: 'second-value', planId: PLANS.free });
    expect(keys.byValue('first-value')).toBeUndefined();
    expect(keys.byValue('second-value')).toMatchObject({ id: 'uk1', validForStage: true });
  });

  it('answers a value two keys share with the first of them, and with the other once the first changes', () => {
    const keys = registry();
    keys.add({ id: 'a', name: 'a', value: 'shared' });
    keys.add({ id: 'b', name: 'b', value: 'shared' });
    expect(keys.byValue('shared')?.id).toBe('a');
    keys.add({ id: 'a', name: 'a', value: 'own' });
    expect([keys.byValue('shared')?.id, keys.byValue('own')?.id]).toEqual(['b', 'a']);
  });

  it('reads the TenantTierPlans output, refusing one without every tier', () => {
    expect(tierPlanIds(JSON.stringify(PLANS))).toEqual(PLANS);
    expect(() => tierPlanIds('{"free":"p"}')).toThrow(/standard/);
  });
});
