// Reserved concurrency where a flood could starve the account (issue 12): the unauthenticated
// processor-webhook receiver and the merchant-notification delivery worker each have a cap (and a
// guarantee) of their own, and the worker's is never below its queue mapping's concurrency.
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { IdempotencyTable } from '../../lib/idempotency-table.ts';
import { DELIVERY_CONCURRENCY, MerchantNotifications } from '../../lib/merchant-notifications.ts';
import { RECEIVER_RESERVED_CONCURRENCY } from '../../lib/processor-webhooks.ts';
import { ROUTES } from '../../lib/routes.ts';
import { logicalId, ofType, resource, routeFunction, stack, synthesizeStack } from './stack-under-test.ts';

synthesizeStack({ bundling: false });

describe('reserved concurrency', () => {
  it('caps the processor-webhook receiver (the unauthenticated route) at its default', () => {
    const route = ROUTES.find((r) => r.path === '/webhooks/processor');
    if (!route) throw new Error('no processor webhook route');
    expect(routeFunction(route).props.ReservedConcurrentExecutions).toBe(RECEIVER_RESERVED_CONCURRENCY);
    expect(RECEIVER_RESERVED_CONCURRENCY).toBe(40);
  });

  it('caps the delivery worker, at least at its queue mapping’s maxConcurrency', () => {
    const worker = logicalId(stack.notifications.worker.function);
    expect(resource(worker).Properties.ReservedConcurrentExecutions).toBe(DELIVERY_CONCURRENCY.reserved);
    const [, mapping] =
      ofType('AWS::Lambda::EventSourceMapping').find(([, m]) =>
        JSON.stringify(m.Properties.FunctionName).includes(`"${worker}"`),
      ) ?? [];
    const maxConcurrency = (mapping?.Properties.ScalingConfig as { MaximumConcurrency?: number } | undefined)
      ?.MaximumConcurrency;
    expect(maxConcurrency).toBe(DELIVERY_CONCURRENCY.mapping);
    expect(DELIVERY_CONCURRENCY.reserved).toBeGreaterThanOrEqual(DELIVERY_CONCURRENCY.mapping);
  });

  it('reserves nothing for the tenants’ API routes (they share the account’s unreserved pool)', () => {
    const route = ROUTES.find((r) => r.method === 'POST' && r.path === '/transfers');
    if (!route) throw new Error('no POST /transfers route');
    expect(routeFunction(route).props.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('refuses a delivery worker cap below its mapping’s concurrency, where throttled messages go to the DLQ', () => {
    const build = (workerReservedConcurrency: number) => {
      const scope = new Stack(new App(), 'Reserved');
      new MerchantNotifications(scope, 'Notifications', {
        idempotency: new IdempotencyTable(scope, 'Idempotency'),
        workerReservedConcurrency,
      });
    };
    expect(() => build(DELIVERY_CONCURRENCY.mapping - 1)).toThrow(/at least the mapping's maxConcurrency/);
    expect(() => build(DELIVERY_CONCURRENCY.mapping)).not.toThrow();
  });
});
