// The local API Gateway's keys as a small control plane: the REST calls of API Gateway's own API that the
// tenants CLI makes (create a key, link it to a usage plan, unlink it), served under /_aws/apigateway/ on
// the local gateway (loopback only), plus the registry the gateway checks usage keys against.
import { randomBytes } from 'node:crypto';
import type { Tier, UsagePlanKeys } from '../lambdas/domain/tenants.ts';
import type { ApiKey, ApiModel } from './api-model.ts';

/** Where the control plane is served on the local gateway. */
export const CONTROL_PREFIX = '/_aws/apigateway';

export interface ControlResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const answer = (statusCode: number, body: unknown, errorType?: string): ControlResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) },
  body: JSON.stringify(body),
});
const notFound = (message: string) => answer(404, { message }, 'NotFoundException');

interface Entry {
  key: ApiKey;
  readonly plans: Set<string>;
}

/**
 * Every API key the local gateway knows: the template's and the environment's (fixed), and those created
 * through the control plane (or restored at start), valid on the stage while a usage plan of it holds them.
 */
export class ApiKeyRegistry {
  readonly #byId = new Map<string, Entry>();
  /** The same entries by key value: the gateway looks a key up on every request that requires one. */
  readonly #byValue = new Map<string, Entry>();
  readonly #stagePlans: ReadonlySet<string>;

  constructor(model: Pick<ApiModel, 'keys' | 'stageUsagePlanIds'>) {
    this.#stagePlans = new Set(model.stageUsagePlanIds ?? []);
    for (const key of model.keys) this.#put({ key, plans: new Set() });
  }

  /** The key with this value, as the gateway checks it. */
  byValue(value: string | undefined): ApiKey | undefined {
    const entry = value === undefined ? undefined : this.#byValue.get(value);
    if (!entry) return undefined;
    // A key linked at run time is valid, and metered, by the plan that holds it.
    const [planId] = entry.plans;
    return planId === undefined ? entry.key : { ...entry.key, validForStage: true, planId };
  }

  /** Adds a key (a new one, or one restored with its id); it is valid once a stage plan holds it. */
  add(input: { readonly id?: string; readonly name: string; readonly value?: string }): ApiKey {
    const key: ApiKey = {
      id: input.id ?? randomBytes(5).toString('hex'),
      value: input.value ?? randomBytes(30).toString('base64url'),
      name: input.name,
      source: 'env',
      enabled: true,
      validForStage: false,
    };
    this.#put({ key, plans: new Set() });
    return key;
  }

  /**
   * Files an entry under its id and its value. Of two keys with one value, the first (in the order of
   * their ids) holds it; an entry that replaces another of the same id keeps that one's place.
   */
  #put(entry: Entry): void {
    const replaced = this.#byId.get(entry.key.id);
    this.#byId.set(entry.key.id, entry);
    if (!replaced) {
      if (!this.#byValue.has(entry.key.value)) this.#byValue.set(entry.key.value, entry);
      return;
    }
    for (const value of [replaced.key.value, entry.key.value]) {
      const first = [...this.#byId.values()].find((e) => e.key.value === value);
      if (first) this.#byValue.set(value, first);
      else this.#byValue.delete(value);
    }
  }

  /** The control plane's answer to a request under CONTROL_PREFIX; undefined for any other path. */
  control(method: string, path: string, body: Buffer): ControlResponse | undefined {
    if (!path.startsWith(`${CONTROL_PREFIX}/`)) return undefined;
    const parts = path.slice(CONTROL_PREFIX.length + 1).split('/');
    let input: Record<string, unknown> = {};
    try {
      input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return answer(400, { message: 'Invalid JSON' }, 'BadRequestException');
    }
    if (method === 'POST' && parts.length === 1 && parts[0] === 'apikeys') {
      const key = this.add({ name: String(input.name ?? 'key') });
      return answer(201, { id: key.id, value: key.value, name: key.name, enabled: true });
    }
    const [usagePlans, planId = '', keys, keyId] = parts;
    if (usagePlans !== 'usageplans' || keys !== 'keys')
      return notFound(`No such operation: ${method} ${path}`);
    if (!this.#stagePlans.has(planId)) return notFound('Invalid Usage Plan ID specified');
    const id = method === 'POST' && keyId === undefined ? String(input.keyId ?? '') : (keyId ?? '');
    const entry = this.#byId.get(id);
    if (!entry) return notFound('Invalid API Key identifier specified');
    if (method === 'POST' && keyId === undefined) {
      // One plan per stage, as API Gateway: the local API has one stage.
      if (entry.plans.size > 0) {
        return answer(
          409,
          {
            message:
              'Usage Plan cannot be added because API Key already exists in another Usage Plan of this stage',
          },
          'ConflictException',
        );
      }
      entry.plans.add(planId);
      return answer(201, { id, type: 'API_KEY', name: entry.key.name });
    }
    if (method === 'DELETE' && keyId !== undefined) {
      if (!entry.plans.delete(planId)) return notFound('Invalid API Key identifier specified');
      return answer(202, {});
    }
    return notFound(`No such operation: ${method} ${path}`);
  }

  /** Restores a key with its id and value into a plan (the runtime does this for the tenants it finds). */
  restore(input: {
    readonly id: string;
    readonly name: string;
    readonly value: string;
    readonly planId: string;
  }) {
    this.add(input);
    this.#byId.get(input.id)?.plans.add(input.planId);
  }
}

/** A control-plane call: method, path under CONTROL_PREFIX, JSON body → status and JSON answer. */
export type ControlCall = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ readonly status: number; readonly json: Record<string, unknown> }>;

/** The control plane of a running local gateway, over HTTP (what the tenants CLI uses). */
export const httpControl =
  (apiUrl: string): ControlCall =>
  async (method, path, body) => {
    const response = await fetch(`${apiUrl.replace(/\/$/, '')}${CONTROL_PREFIX}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

/** The same calls straight into a registry (the runtime, in its own process). */
export const registryControl =
  (registry: ApiKeyRegistry): ControlCall =>
  async (method, path, body) => {
    const reply = registry.control(
      method,
      `${CONTROL_PREFIX}${path}`,
      Buffer.from(JSON.stringify(body ?? {})),
    );
    if (!reply) throw new Error(`not a control-plane path: ${path}`);
    return { status: reply.statusCode, json: JSON.parse(reply.body) as Record<string, unknown> };
  };

/** Tenants' usage keys through the local control plane. */
export class LocalUsagePlanKeys implements UsagePlanKeys {
  readonly #call: ControlCall;
  readonly #plans: Readonly<Record<Tier, string>>;

  constructor(call: ControlCall, plans: Readonly<Record<Tier, string>>) {
    this.#call = call;
    this.#plans = plans;
  }

  async createKey(name: string) {
    const { json } = await this.#expect(201, 'POST', '/apikeys', { name, enabled: true });
    return { id: String(json.id), value: String(json.value) };
  }

  async link(tier: Tier, keyId: string) {
    await this.#expect(201, 'POST', `/usageplans/${this.#plans[tier]}/keys`, { keyId, keyType: 'API_KEY' });
  }

  async unlink(tier: Tier, keyId: string) {
    const { status, json } = await this.#call('DELETE', `/usageplans/${this.#plans[tier]}/keys/${keyId}`);
    if (status !== 202 && status !== 404)
      throw new Error(`unlink ${keyId}: ${status} ${String(json.message)}`);
  }

  async #expect(status: number, method: string, path: string, body: unknown) {
    const reply = await this.#call(method, path, body);
    if (reply.status !== status)
      throw new Error(`${method} ${path}: ${reply.status} ${String(reply.json.message)}`);
    return reply;
  }
}

/** The tier → usage plan id map of the `TenantTierPlans` output (a JSON object). */
export function tierPlanIds(output: string): Readonly<Record<Tier, string>> {
  const parsed = JSON.parse(output) as Record<string, unknown>;
  const plan = (tier: Tier): string => {
    const id = parsed[tier];
    if (typeof id !== 'string' || id === '') throw new Error(`TenantTierPlans has no plan for tier ${tier}`);
    return id;
  };
  return { free: plan('free'), standard: plan('standard'), enterprise: plan('enterprise') };
}
