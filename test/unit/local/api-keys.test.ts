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

  it('reads the TenantTierPlans output, refusing one without every tier', () => {
    expect(tierPlanIds(JSON.stringify(PLANS))).toEqual(PLANS);
    expect(() => tierPlanIds('{"free":"p"}')).toThrow(/standard/);
  });
});
