import { expect, inject, it } from 'vitest';
import { apiClient, checkContract } from '../support/http-api.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

// Black box, HTTP only: a reservation with a 1-second timeout is expired by the system (the scheduled
// sweep, every minute), with no post or void from anyone.
const apiUrl = inject('apiUrl');
checkContract(apiUrl);
const request = apiClient(apiUrl, inject('apiKey'));

/** One schedule period, the projector's lag and the sweep's own time, with room on a busy machine. */
const EXPIRY_DEADLINE_MS = 80_000;

async function openAccount(): Promise<string> {
  const reply = await request('POST', '/accounts', { currency: 'USD' });
  expect(reply.status).toBe(201);
  return String(reply.json.id);
}

describeTarget('pending transfers expire on time', inject('skipReason'), inject('targetName'), () => {
  it(
    'expires a 1-second reservation by itself: funds released, an event in the history, the view says expired',
    async () => {
      const payer = await openAccount();
      const payee = await openAccount();
      expect(
        (await request('POST', `/accounts/${payer}/deposits`, { amount: 5_000, currency: 'USD' })).status,
      ).toBe(201);
      const reserved = await request('POST', '/transfers', {
        debitAccountId: payer,
        creditAccountId: payee,
        amount: 1_200,
        currency: 'USD',
        pending: true,
        timeoutSeconds: 1,
      });
      expect(reserved.json).toMatchObject({ status: 'pending' });
      const transferId = String(reserved.json.id);
      await waitFor(
        async () => {
          const view = await request('GET', `/accounts/${payer}`);
          return (view.json.balances as Record<string, number> | undefined)?.debitsPending === 1_200;
        },
        { what: 'the reservation in the account view', timeoutMs: 20_000 },
      );

      const expired = await waitFor(
        async () => {
          const view = await request('GET', `/transfers/${transferId}`);
          return view.json.status === 'expired' ? view.json : undefined;
        },
        {
          what: `transfer ${transferId} expired by the sweep`,
          timeoutMs: EXPIRY_DEADLINE_MS,
          intervalMs: 1_000,
        },
      );
      expect(expired).toMatchObject({ id: transferId, status: 'expired', postedAmount: 0 });
      const balances = await waitFor(
        async () => {
          const view = await request('GET', `/accounts/${payer}`);
          const b = view.json.balances as Record<string, number> | undefined;
          return b?.debitsPending === 0 ? b : undefined;
        },
        { what: 'the released reservation in the account view', timeoutMs: 20_000 },
      );
      expect(balances).toMatchObject({ debitsPending: 0, debitsPosted: 0, available: 5_000 });
      for (const account of [payer, payee]) {
        const events = await request<{ data: { type: string; payload: Record<string, unknown> }[] }>(
          'GET',
          `/accounts/${account}/events`,
        );
        const expiry = events.json.data.filter((e) => e.type === 'PendingTransferExpired');
        expect(expiry, account).toHaveLength(1);
        expect(expiry[0]?.payload).toMatchObject({ transferId, pendingAmount: 1_200 });
      }
    },
    EXPIRY_DEADLINE_MS + 60_000,
  );
});
