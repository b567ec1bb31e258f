// Reserved concurrency per stage (issue 12, issue 13): in production the unauthenticated processor-webhook
// receiver and the merchant-notification delivery worker each have a cap (and a guarantee) of their own, and
// the worker's is never below its queue mapping's concurrency; a development stage reserves nothing (it must
// deploy in an account with a low concurrency quota), and the tenants' API routes reserve nothing anywhere.
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyTable } from '../../lib/idempotency-table.ts';
import { LedgerlineStack, routeId } from '../../lib/ledgerline-stack.ts';
import { DELIVERY_CONCURRENCY, MerchantNotifications } from '../../lib/merchant-notifications.ts';
import { RECEIVER_RESERVED_CONCURRENCY } from '../../lib/processor-webhooks.ts';
import { ROUTES } from '../../lib/routes.ts';
import { stageProfile } from '../../lib/stage.ts';
import type { Resource } from './stack-under-test.ts';

/** One synthesized stage (no bundling) and what the tests read from it. */
function synth(stage: string) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const processorUrl = stage === 'prod' ? 'https://api.processor.example/v1/' : undefined;
  const stack = new LedgerlineStack(app, 'Ledgerline', { stage, processorUrl });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const idOf = (element: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(element.node.defaultChild as CfnElement);
  const reservedOf = (id: string) => resources[id]?.Properties.ReservedConcurrentExecutions;
  const route = (method: 'GET' | 'POST', path: string) => {
    const fn = stack.functions.get(routeId({ method, path }));
    if (fn === undefined) throw new Error(`no function for ${method} ${path}`);
    return reservedOf(idOf(fn.function));
  };
  const worker = idOf(stack.notifications.worker.function);
  const mapping = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify(r.Properties.FunctionName).includes(`"${worker}"`),
  );
  return {
    resources,
    receiver: route('POST', '/webhooks/processor'),
    transfers: route('POST', '/transfers'),
    worker: reservedOf(worker),
    workerMapping: (mapping?.Properties.ScalingConfig as { MaximumConcurrency?: number } | undefined)
      ?.MaximumConcurrency,
  };
}

let prod: ReturnType<typeof synth>;
let dev: ReturnType<typeof synth>;
beforeAll(() => {
  prod = synth('prod');
  dev = synth('dev');
}, 300_000);

describe('reserved concurrency in production', () => {
  it('caps the processor-webhook receiver (the unauthenticated route) at its default', () => {
    expect(ROUTES.some((r) => r.path === '/webhooks/processor')).toBe(true);
    expect(prod.receiver).toBe(RECEIVER_RESERVED_CONCURRENCY);
    expect(RECEIVER_RESERVED_CONCURRENCY).toBe(40);
  });

  it('caps the delivery worker, at least at its queue mapping’s maxConcurrency', () => {
    expect(prod.worker).toBe(DELIVERY_CONCURRENCY.reserved);
    expect(prod.workerMapping).toBe(DELIVERY_CONCURRENCY.mapping);
    expect(DELIVERY_CONCURRENCY.reserved).toBeGreaterThanOrEqual(DELIVERY_CONCURRENCY.mapping);
  });

  it('reserves nothing for the tenants’ API routes (they share the account’s unreserved pool)', () => {
    expect(prod.transfers).toBeUndefined();
    const reserved = Object.values(prod.resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.ReservedConcurrentExecutions !== undefined,
    );
    expect(reserved).toHaveLength(2);
  });
});

describe('reserved concurrency in a development stage', () => {
  it('is none on any function; the worker is still bounded by its mapping', () => {
    expect(stageProfile('dev').reservedConcurrency).toBe('none');
    expect(stageProfile('prod').reservedConcurrency).toBe('as-built');
    const reserved = Object.values(dev.resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.ReservedConcurrentExecutions !== undefined,
    );
    expect(reserved).toEqual([]);
    expect(dev.receiver).toBeUndefined();
    expect(dev.worker).toBeUndefined();
    expect(dev.workerMapping).toBe(DELIVERY_CONCURRENCY.mapping);
  });
});

describe('the delivery worker’s reservation', () => {
  it('is refused below its mapping’s concurrency, where throttled messages go to the DLQ', () => {
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
