import type { MerchantNotification } from '../../../lambdas/domain/notifications.ts';

/** A settled payment's notification, as the outbox carries it. */
export const SETTLED_NOTIFICATION: MerchantNotification = {
  notificationId: 'pay_1.settled',
  tenantId: 't',
  merchantAccountId: 'acct_m',
  type: 'payment.settled',
  occurredAt: '2026-11-21T12:00:00.000Z',
  data: {},
};
