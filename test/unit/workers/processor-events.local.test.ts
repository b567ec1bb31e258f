// The inbound worker as deployed: DynamoDB Local, fauxqs, real Powertools idempotency and batch processing.
import { DeleteItemCommand, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deposit, getTransfer, openAccount } from '../../../lambdas/application/commands.ts';
import { getAccount } from '../../../lambdas/application/queries.ts';
import { disputeHoldId, disputesAccountId } from '../../../lambdas/domain/system-ids.ts';
import { main } from '../../../lambdas/handlers/workers/processor-events.ts';
import { logger } from '../../../lambdas/shared/api.ts';
import { lambdaContext } from '../../support/api-events.ts';
import { disputeEvent } from '../../support/processor-events.ts';
import {
  peekMessages,
  queueDepth,
  sqsEvent,
  startWorkerEnvironment,
  type WorkerEnvironment,
} from '../../support/worker-environment.ts';

let env: WorkerEnvironment;
const TENANT = 'tenant-workers';
const ctx = { tenantId: TENANT, correlationId: 'test', causationId: 'test', actor: 'test' };
let merchant: string;
let sequence = 0;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  env = await startWorkerEnvironment();
});
afterAll(async () => {
  await env?.stop();
});
beforeEach(async () => {
  const account = await openAccount(env.ledger, ctx, { currency: 'USD', kind: 'merchant' });
  merchant = account.id;
  await deposit(env.ledger, ctx, { accountId: merchant, amount: 10_000, currency: 'USD' });
  await env.sqsClient.send(new PurgeQueueCommand({ QueueUrl: env.queues.notifications }));
});

function message(type: 'dispute.opened' | 'dispute.won' | 'dispute.lost', disputeId: string, amount = 2500) {
  const eventId = `evt_${++sequence}_${type.replace('.', '_')}`;
  const event = disputeEvent({
    id: eventId,
    type,
    tenantId: TENANT,
    merchantAccountId: merchant,
    disputeId,
    amount,
  });
  return { eventId, tenantId: TENANT, type, receivedAt: new Date().toISOString(), event };
}

const run = (bodies: unknown[], receiveCount = 1) =>
  main(sqsEvent(bodies, receiveCount), env.processorEvents, lambdaContext());
const merchantAccount = () => getAccount(env.ledger, TENANT, merchant);

async function inboxItem(eventId: string) {
  const { Item } = await env.ddb.client.send(
    new GetItemCommand({ TableName: 'inbox', Key: { eventId: { S: eventId } } }),
  );
  return Item ? unmarshall(Item) : undefined;
}

describe('processor-events worker', () => {
  it('applies the same message delivered 3 times once: one hold, one notification', async () => {
    await env.sqsClient.send(new PurgeQueueCommand({ QueueUrl: env.queues.inbound }));
    const opened = message('dispute.opened', `dp_${sequence}_a`);
    // Twice in one batch (Lambda may hand over duplicates together): the copy that meets the other's lock
    // spends no receive; it comes back as a delayed message once the lock has surely expired.
    expect(await run([opened, opened])).toEqual({ batchItemFailures: [] });
    const { Attributes } = await env.sqsClient.send(
      new GetQueueAttributesCommand({
        QueueUrl: env.queues.inbound,
        AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
      }),
    );
    // Delayed past the lock: this function's remaining time (10 s in the test context) and a second.
    expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
    const retried = await run([opened]);
    expect(retried).toEqual({ batchItemFailures: [] });
    const third = await run([opened]);
    expect(third).toEqual({ batchItemFailures: [] });

    const account = await merchantAccount();
    expect(account.debitsPending).toBe(2500);
    expect(account.creditsPosted - account.debitsPosted - account.debitsPending).toBe(7500);
    expect(await queueDepth(env.sqsClient, env.queues.notifications)).toBe(1);
    expect(await inboxItem(opened.eventId)).toMatchObject({ outcome: 'applied' });
  });

  it('has one effect even when the idempotency record is gone: the hold id is the dispute id', async () => {
    const opened = message('dispute.opened', `dp_${sequence}_b`);
    await run([opened]);
    const { Items } = await env.ddb.client.send(new ScanCommand({ TableName: 'idempotency' }));
    for (const item of Items ?? []) {
      await env.ddb.client.send(
        new DeleteItemCommand({ TableName: 'idempotency', Key: { id: item.id as never } }),
      );
    }
    expect(await run([opened])).toEqual({ batchItemFailures: [] });
    expect((await merchantAccount()).debitsPending).toBe(2500);
  });

  it('posts the chargeback when the dispute is lost, and releases the hold when it is won', async () => {
    const lostId = `dp_${sequence}_lost`;
    const wonId = `dp_${sequence}_won`;
    await run([message('dispute.opened', lostId, 1000), message('dispute.opened', wonId, 2000)]);
    expect((await merchantAccount()).debitsPending).toBe(3000);
    expect(await run([message('dispute.lost', lostId, 1000), message('dispute.won', wonId, 2000)])).toEqual({
      batchItemFailures: [],
    });
    const account = await merchantAccount();
    expect(account.debitsPending).toBe(0);
    expect(account.debitsPosted).toBe(1000);
    expect((await getTransfer(env.ledger, TENANT, disputeHoldId(lostId))).status).toBe('posted');
    expect((await getTransfer(env.ledger, TENANT, disputeHoldId(wonId))).status).toBe('voided');
    const disputes = await getAccount(env.ledger, TENANT, disputesAccountId('USD'));
    expect(disputes.creditsPosted).toBe(1000);
    expect(await queueDepth(env.sqsClient, env.queues.notifications)).toBe(4);
  });

  it('parks a dispute that closes before it opened, then applies it when it comes back after the opening', async () => {
    await env.sqsClient.send(new PurgeQueueCommand({ QueueUrl: env.queues.inbound }));
    env.metricLines.length = 0;
    const disputeId = `dp_${sequence}_early`;
    const lost = message('dispute.lost', disputeId, 500);
    // The record succeeds (no receive is spent): the event waits as a new, delayed message.
    expect(await run([lost])).toEqual({ batchItemFailures: [] });
    const [parked] = await peekMessages(env.sqsClient, env.queues.inbound, 10);
    expect(JSON.parse(parked ?? '{}')).toEqual({ ...lost, parked: 1 });
    expect(env.metricLines).toEqual([
      expect.objectContaining({ ProcessorEventsParked: 1, eventId: lost.eventId, parked: 1 }),
    ]);
    expect((await merchantAccount()).debitsPosted).toBe(0);

    await run([message('dispute.opened', disputeId, 500)]);
    expect(await run([JSON.parse(parked ?? '{}')])).toEqual({ batchItemFailures: [] });
    expect((await merchantAccount()).debitsPosted).toBe(500);
    expect(await inboxItem(lost.eventId)).toMatchObject({ outcome: 'applied' });
  });

  it('parks an early event with a doubling delay, and lets it fail toward the DLQ once its window is over', async () => {
    const disputeId = `dp_${sequence}_never`;
    const lost = { ...message('dispute.lost', disputeId, 500), parked: 2 };
    await env.sqsClient.send(new PurgeQueueCommand({ QueueUrl: env.queues.inbound }));
    expect(await run([lost])).toEqual({ batchItemFailures: [] });
    // Parked twice already: back in 1 s × 2² = 4 s (the cap; the delays are unit-tested by parkDelaySeconds).
    const [again] = await peekMessages(env.sqsClient, env.queues.inbound, 10);
    expect(JSON.parse(again ?? '{}')).toMatchObject({ eventId: lost.eventId, parked: 3 });
    const stale = { ...lost, receivedAt: new Date(Date.now() - 3601_000).toISOString() };
    expect((await run([stale])).batchItemFailures).toHaveLength(1);
    expect((await merchantAccount()).debitsPosted).toBe(0);
  });

  it('records permanent rejections, counts them for the alarm, and lets the record succeed', async () => {
    env.metricLines.length = 0;
    const unknownMerchant = message('dispute.opened', `dp_${sequence}_x`);
    (unknownMerchant.event.metadata as Record<string, string>).merchantAccountId = 'acct_nobody';
    const floatAmount = message('dispute.opened', `dp_${sequence}_y`);
    (floatAmount.event.data as Record<string, unknown>).amount = 12.5;
    const customer = await openAccount(env.ledger, ctx, { currency: 'USD' });
    const notMerchant = message('dispute.opened', `dp_${sequence}_z`);
    (notMerchant.event.metadata as Record<string, string>).merchantAccountId = customer.id;

    expect(await run([unknownMerchant, floatAmount, notMerchant])).toEqual({ batchItemFailures: [] });
    expect(await inboxItem(unknownMerchant.eventId)).toMatchObject({
      outcome: 'rejected',
      outcomeDetails: { code: 'account-not-found' },
    });
    expect(await inboxItem(floatAmount.eventId)).toMatchObject({
      outcome: 'rejected',
      outcomeDetails: { code: 'invalid-payload' },
    });
    expect(await inboxItem(notMerchant.eventId)).toMatchObject({
      outcome: 'rejected',
      outcomeDetails: { code: 'not-a-merchant-account' },
    });
    expect((await merchantAccount()).debitsPending).toBe(0);
    expect(env.metricLines.map((line) => [line.ProcessorEventsRejected, line.code]).sort()).toEqual([
      [1, 'account-not-found'],
      [1, 'invalid-payload'],
      [1, 'not-a-merchant-account'],
    ]);
  });

  it('rejects a dispute won after it was lost: the chargeback stands', async () => {
    const disputeId = `dp_${sequence}_flip`;
    await run([message('dispute.opened', disputeId, 700)]);
    await run([message('dispute.lost', disputeId, 700)]);
    const won = message('dispute.won', disputeId, 700);
    expect(await run([won])).toEqual({ batchItemFailures: [] });
    expect(await inboxItem(won.eventId)).toMatchObject({
      outcome: 'rejected',
      outcomeDetails: { code: 'dispute-already-resolved' },
    });
    expect((await merchantAccount()).debitsPosted).toBe(700);
  });

  it('sends a message it cannot parse back for retries (and so, in the end, to the DLQ)', async () => {
    expect((await run(['not json', { eventId: 'x' }])).batchItemFailures).toHaveLength(2);
  });
});
