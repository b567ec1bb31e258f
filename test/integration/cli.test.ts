// The `ledgerline` CLI against the local runtime the suite started (found through the same state file
// `npm start` writes), with HTTP to set up and to check what each command really did.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, inject, it } from 'vitest';
import type { LocalStateFile } from '../../local/state-file.ts';
import { apiClient, checkContract } from '../support/http-api.ts';
import { disputeEvent, enqueueStaleProcessorEvent, processorSignature } from '../support/processor-events.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeTarget } from './target.ts';

const apiUrl = inject('apiUrl').replace(/\/$/, '');
checkContract(apiUrl);
const apiKey = inject('apiKey');
const local = inject('localRuntime');
const operator = inject('paymentsOperator');
const processorSecret = inject('processorWebhookSecret');
const ENTRY = join(import.meta.dirname, '..', '..', 'cli', 'ledgerline.ts');
const run = Date.now().toString(36);

const api = apiClient(apiUrl, apiKey);
const request = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked by the assertions
  api<any>(method, path, body, headers);

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, checked by the assertions
type Json = any;

/** Runs `ledgerline <args> --json` as an operator would, against the suite's runtime. */
function ledgerline(args: readonly string[]): Promise<{ code: number; json: Json; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ENTRY, ...args, '--json'],
      { env: { ...process.env, LEDGERLINE_STATE_FILE: local?.stateFile ?? '' }, timeout: 150_000 },
      (error, stdout, stderr) => {
        let json: unknown = null;
        try {
          json = JSON.parse(stdout);
        } catch {
          // Left null: the assertion on it shows stdout's absence.
        }
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, json, stderr });
      },
    );
  });
}

async function balances(id: string) {
  const reply = await request('GET', `/accounts/${id}?asOf=9999-12-31T23:59:59Z`);
  return reply.json.balances as { debitsPending: number; debitsPosted: number };
}

async function openAccount(kind: 'customer' | 'merchant', deposit: number): Promise<string> {
  const opened = await request('POST', '/accounts', { currency: 'USD', kind });
  expect(opened.status).toBe(201);
  if (deposit > 0) {
    expect(
      (await request('POST', `/accounts/${opened.json.id}/deposits`, { amount: deposit, currency: 'USD' }))
        .status,
    ).toBe(201);
  }
  return String(opened.json.id);
}

async function sendProcessorEvent(event: Record<string, unknown>) {
  const body = JSON.stringify(event);
  return request('POST', '/webhooks/processor', body, {
    'content-type': 'application/json',
    'x-processor-signature': processorSignature(processorSecret ?? '', body),
    'x-api-key': '',
  });
}

/** A processor event about this run's dispute of 900 on `merchant`, for the tenant of `apiKey`. */
function dispute(type: 'dispute.opened' | 'dispute.lost', merchantAccountId: string) {
  // The tenant is the API key's id, which the runtime's state file lists with the key.
  const state = JSON.parse(readFileSync(local?.stateFile ?? '', 'utf8')) as LocalStateFile;
  return disputeEvent({
    id: `evt_${run}_${type.replace('.', '_')}`,
    type,
    tenantId: state.apiKeys.find((k) => k.value === apiKey)?.id ?? '',
    merchantAccountId,
    disputeId: `dp_${run}_cli`,
    amount: 900,
  });
}

const skip =
  inject('skipReason') ??
  (local && operator && processorSecret
    ? null
    : 'needs the local runtime (its state file, the saga operator surface)');

describeTarget('the ledgerline CLI', skip, inject('targetName'), () => {
  let merchant: string;
  let paymentId: string;
  let paymentMerchant: string;

  // The two slow setups (a poison event reaching the DLQ, a payment ending in CompensationFailed) start
  // first and run while the quicker commands are tested.
  beforeAll(async () => {
    merchant = await openAccount('merchant', 10_000);
    // Lost before it was ever opened, received days ago (past the wait for its predecessor): the worker
    // retries it, then gives up and it lands in the DLQ.
    const lost = dispute('dispute.lost', merchant);
    await enqueueStaleProcessorEvent(
      { sqsEndpoint: local?.sqsEndpoint ?? '', cdkOut: local?.cdkOut ?? '' },
      { ...lost, id: String(lost.id), type: String(lost.type) },
      String((lost.metadata as { tenantId: string }).tenantId),
    );

    const payer = await openAccount('customer', 100_000);
    paymentMerchant = await openAccount('merchant', 0);
    // A frozen merchant fails PostTransfer; the refund keeps failing, so the compensation fails.
    await request('POST', `/accounts/${paymentMerchant}/freeze`, { reason: 'kyc review' });
    const paid = await request(
      'POST',
      '/payments',
      {
        payerAccountId: payer,
        merchantAccountId: paymentMerchant,
        amount: 6_000,
        currency: 'USD',
        paymentMethod: 'pm_card_refund_fails',
      },
      { 'Idempotency-Key': randomUUID() },
    );
    expect(paid.status).toBe(202);
    paymentId = paid.json.id;
  });

  it('doctor finds the running target and every one of its ports', async () => {
    const { code, json } = await ledgerline(['doctor']);
    const checks = json as { name: string; status: string; detail: string }[];
    expect(checks.find((c) => c.name === 'target')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^local runtime \(pid \d+\)$/),
    });
    for (const name of ['API', 'DynamoDB Local', 'SQS', 'Step Functions', 'Secrets Manager']) {
      expect(
        checks.find((c) => c.name === name),
        name,
      ).toMatchObject({ status: 'ok' });
    }
    expect(checks.find((c) => c.name === 'API')?.detail).toContain(apiUrl);
    expect(code).toBe(checks.some((c) => c.status === 'fail') ? 1 : 0);
  });

  it('rebuilds a read model into its spare table and switches reads to it', async () => {
    const account = await openAccount('customer', 4_200);
    await waitFor(
      async () => (await request('GET', `/accounts/${account}`)).json?.balances?.creditsPosted === 4_200,
      {
        timeoutMs: 30_000,
        what: 'the account view',
      },
    );
    const before = await ledgerline(['projections', 'status']);
    expect(before.code).toBe(0);
    const serving = before.json.readModels.find((r: { model: string }) => r.model === 'account-view');
    const spare = serving.active === 'blue' ? 'green' : 'blue';

    const rebuilt = await ledgerline(['projections', 'rebuild', 'account-view', '--settle-ms', '0']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.json).toEqual([expect.objectContaining({ model: 'account-view', active: spare })]);
    expect(rebuilt.json[0].replayed).toBeGreaterThan(0);

    const after = await ledgerline(['projections', 'status']);
    expect(after.json.readModels.find((r: { model: string }) => r.model === 'account-view')).toMatchObject({
      active: spare,
      rebuild: { phase: 'done' },
    });
    // The rebuilt table serves the same account.
    await waitFor(
      async () => (await request('GET', `/accounts/${account}`)).json?.balances?.creditsPosted === 4_200,
      {
        timeoutMs: 30_000,
        what: 'the account from the rebuilt table',
      },
    );
  }, 120_000);

  it('lists, shows and redrives a poison event from a DLQ, which then takes effect', async () => {
    const listed = await waitFor(
      async () => {
        const { json } = await ledgerline(['dlq', 'list']);
        const dlq = (json as { name: string; visible: number }[] | null)?.find(
          (q) => q.name === 'ProcessorEvents',
        );
        return dlq && dlq.visible >= 1 ? dlq : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 2_000, what: 'the poison event in the ProcessorEvents DLQ' },
    );
    expect(listed).toMatchObject({ kind: 'redrive' });
    const shown = await ledgerline(['dlq', 'show', 'ProcessorEvents', '--max', '10']);
    expect(shown.json.map((m: { body: { eventId: string } }) => m.body.eventId)).toContain(
      `evt_${run}_dispute_lost`,
    );
    expect((await balances(merchant)).debitsPosted).toBe(0);

    // The fix: the dispute's opening arrives. Then the operator redrives.
    await sendProcessorEvent(dispute('dispute.opened', merchant));
    await waitFor(async () => (await balances(merchant)).debitsPending === 900, {
      timeoutMs: 30_000,
      what: 'the hold',
    });

    const redriven = await ledgerline(['dlq', 'redrive', 'ProcessorEvents', '--rate', '10']);
    expect(redriven.code, redriven.stderr).toBe(0);
    expect(redriven.json.moved).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await balances(merchant)).debitsPosted === 900, {
      timeoutMs: 30_000,
      what: 'the redriven chargeback',
    });
    const after = await ledgerline(['dlq', 'list']);
    expect(after.json.find((q: { name: string }) => q.name === 'ProcessorEvents').visible).toBe(0);
  }, 240_000);

  it('shows a failed payment timeline, resumes its compensation, and shows the resume', async () => {
    const failed = await waitFor(
      async () => {
        const { json } = await ledgerline(['saga', 'show', paymentId]);
        return json?.executions?.[0]?.status === 'FAILED' ? json : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 2_000, what: `payment ${paymentId} in CompensationFailed` },
    );
    const first = failed.executions[0];
    const states = first.steps.map((s: { state: string }) => s.state);
    expect(states).toEqual(
      expect.arrayContaining([
        'ReserveFunds',
        'CaptureAtProcessor',
        'PostTransfer',
        'RefundAtProcessor',
        'CompensationFailed',
      ]),
    );
    expect(first.steps.find((s: { state: string }) => s.state === 'RefundAtProcessor')).toMatchObject({
      compensation: true,
      error: expect.any(String),
    });
    expect((await request('GET', `/payments/${paymentId}`)).json).toMatchObject({
      status: 'captured',
      reservationVoided: false,
    });

    // The operator fixes the cause (the sandbox's refund outage ends), then resumes.
    const resolved = await fetch(`${operator?.processorUrl}v1/test_helpers/refund_outages/resolve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator?.processorSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reference: paymentId }),
    });
    expect(resolved.status).toBe(200);
    const resumed = await ledgerline(['saga', 'retry-compensation', paymentId]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json).toMatchObject({
      status: 'SUCCEEDED',
      executionArn: expect.stringContaining(`:${paymentId}-compensate-`),
    });

    const payment = await waitFor(
      async () => {
        const reply = await request('GET', `/payments/${paymentId}`);
        return reply.json.status === 'failed' ? reply.json : undefined;
      },
      { timeoutMs: 30_000, what: 'the compensated payment' },
    );
    expect(payment.failure).toMatchObject({
      failedStep: 'PostTransfer',
      compensations: ['RefundAtProcessor', 'VoidReservation'],
    });

    const timeline = await ledgerline(['saga', 'show', paymentId]);
    expect(timeline.json.executions.map((e: { status: string }) => e.status)).toEqual([
      'FAILED',
      'SUCCEEDED',
    ]);
    expect(timeline.json.compensations).toEqual(
      expect.arrayContaining(['RefundAtProcessor', 'VoidReservation', 'MarkPaymentFailed']),
    );
  }, 300_000);
});
