import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { STREAM_RECORDS } from '../../../lambdas/composition/streams.ts';
import type { MerchantNotification } from '../../../lambdas/domain/notifications.ts';
import { relayRecord } from '../../../lambdas/handlers/relay/relay.ts';
import { SecretBox } from '../../../lambdas/shared/secret-box.ts';
import { isInternalAddress, webhookUrlProblem } from '../../../lambdas/shared/webhook-url.ts';
import { parseFilterPattern, passesFilters } from '../../../local/event-filter.ts';

const notification: MerchantNotification = {
  notificationId: 'pay_1.settled',
  tenantId: 'tenant-a',
  merchantAccountId: 'acct_m',
  type: 'payment.settled',
  occurredAt: '2026-11-21T12:00:00.000Z',
  data: { paymentId: 'pay_1', amount: 1000, currency: 'USD' },
};

/** An events-table INSERT as the stream delivers it (NEW_IMAGE). */
function streamRecord(
  type: string,
  payload: object,
  eventName: 'INSERT' | 'MODIFY' = 'INSERT',
): DynamoDBRecord {
  const item = {
    pk: 'payment#tenant-a#pay_1',
    version: 7,
    streamType: 'payment',
    streamId: 'pay_1',
    eventId: 'evt_1',
    type,
    schemaVersion: 1,
    occurredAt: '2026-11-21T12:00:00.000Z',
    tenantId: 'tenant-a',
    correlationId: 'c',
    causationId: 'c',
    actor: 'saga',
    payload,
  };
  return {
    eventID: '1',
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshall({ pk: item.pk, version: item.version }) as never,
      NewImage: marshall(item) as never,
      SequenceNumber: '100',
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

describe('relay', () => {
  it('forwards a MerchantNotificationRequested payload to the notifier as is', async () => {
    const sent: MerchantNotification[] = [];
    await relayRecord(
      { notifier: { enqueue: async (n) => void sent.push(n) }, records: STREAM_RECORDS },
      streamRecord('MerchantNotificationRequested', notification),
    );
    expect(sent).toEqual([notification]);
  });

  it('ignores any other event', async () => {
    const sent: MerchantNotification[] = [];
    const other = streamRecord('FundsReserved', { paymentId: 'pay_1', transferId: 'pay_1-reserve' });
    await relayRecord(
      { notifier: { enqueue: async (n) => void sent.push(n) }, records: STREAM_RECORDS },
      other,
    );
    expect(sent).toEqual([]);
  });

  it('has a mapping filter (as synthesized) that passes outbox INSERTs only', () => {
    const pattern = JSON.stringify({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { type: { S: ['MerchantNotificationRequested'] } } },
    });
    const filters = [parseFilterPattern(pattern, 'relay')];
    expect(passesFilters(filters, streamRecord('MerchantNotificationRequested', notification))).toBe(true);
    expect(passesFilters(filters, streamRecord('PaymentSettled', {}))).toBe(false);
    expect(
      passesFilters(filters, streamRecord('MerchantNotificationRequested', notification, 'MODIFY')),
    ).toBe(false);
  });
});

describe('webhook URL rules', () => {
  it('accepts public https URLs', () => {
    expect(webhookUrlProblem('https://hooks.example.com/ledgerline', false)).toBeNull();
  });

  it('refuses http, credentials, loopback and internal address literals', () => {
    expect(webhookUrlProblem('http://hooks.example.com/x', false)).toMatch(/https/);
    expect(webhookUrlProblem('https://user:pw@hooks.example.com/x', false)).toMatch(/credentials/);
    expect(webhookUrlProblem('https://localhost/x', false)).toMatch(/loopback/);
    for (const host of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '192.168.1.1', '[::1]', '[fd00::1]']) {
      expect(webhookUrlProblem(`https://${host}/x`, true)).not.toBeNull();
    }
    expect(webhookUrlProblem('not a url', true)).toMatch(/absolute/);
  });

  it('accepts http to loopback only when the stage allows it', () => {
    expect(webhookUrlProblem('http://127.0.0.1:8080/hooks', true)).toBeNull();
    expect(webhookUrlProblem('http://localhost:8080/hooks', true)).toBeNull();
    expect(webhookUrlProblem('http://127.0.0.1:8080/hooks', false)).not.toBeNull();
    expect(webhookUrlProblem('http://10.0.0.1/hooks', true)).not.toBeNull();
  });

  it('knows internal addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '::1',
      'fe80::1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isInternalAddress(a)).toBe(true);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '2606:4700::1111']) expect(isInternalAddress(a)).toBe(false);
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(async () => 'key-material');

  it('seals so that only the same key and context open it', async () => {
    const sealed = await box.seal('whsec_abc', 'tenant#acct#we_1');
    expect(sealed).not.toContain('whsec_abc');
    expect(await box.open(sealed, 'tenant#acct#we_1')).toBe('whsec_abc');
    await expect(box.open(sealed, 'tenant#other#we_1')).rejects.toThrow();
    await expect(new SecretBox(async () => 'other-key').open(sealed, 'tenant#acct#we_1')).rejects.toThrow();
  });
});
