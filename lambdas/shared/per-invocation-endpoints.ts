import type { MerchantEndpoints, WebhookEndpoint } from '../domain/webhooks.ts';

/**
 * Endpoint lookups shared by the records of one batch (several notifications to one merchant cost one
 * read); forgotten at the start of every invocation, so a re-registered endpoint is used at once.
 */
export class PerInvocationEndpoints implements MerchantEndpoints {
  readonly #inner: MerchantEndpoints;
  readonly #cache = new Map<string, ReturnType<MerchantEndpoints['getForDelivery']>>();
  constructor(inner: MerchantEndpoints) {
    this.#inner = inner;
  }
  reset(): void {
    this.#cache.clear();
  }
  register(endpoint: WebhookEndpoint, signingSecret: string) {
    return this.#inner.register(endpoint, signingSecret);
  }
  get(tenantId: string, merchantAccountId: string) {
    return this.#inner.get(tenantId, merchantAccountId);
  }
  getForDelivery(tenantId: string, merchantAccountId: string) {
    const key = `${tenantId}#${merchantAccountId}`;
    let found = this.#cache.get(key);
    if (!found) {
      found = this.#inner.getForDelivery(tenantId, merchantAccountId);
      // A failed read is not remembered: the next record tries again.
      found.catch(() => this.#cache.delete(key));
      this.#cache.set(key, found);
    }
    return found;
  }
}
