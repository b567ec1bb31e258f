import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  chainLinkOfItem,
  eventHash,
  storedEventFromItem,
  toItem,
} from '../../../lambdas/adapters/dynamodb-event-item.ts';
import { snapshotMac } from '../../../lambdas/adapters/dynamodb-snapshot-store.ts';
import {
  type AuditSource,
  auditTenant,
  reportSignatureValid,
  signReport,
  snapshotMacUnder,
} from '../../../lambdas/application/audit.ts';
import { digestOf, parseDigest, sha256, writeDigests } from '../../../lambdas/application/audit-digest.ts';
import { GENESIS_HASH } from '../../../lambdas/domain/audit.ts';
import { replayAccounts } from '../../../lambdas/domain/audit-replay.ts';
import type {
  AuditedEvent,
  AuditedSnapshot,
  AuditedStream,
  Digest,
} from '../../../lambdas/domain/audit-verify.ts';
import type { StreamRef } from '../../../lambdas/domain/events.ts';
import type { NewEvent } from '../../../lambdas/domain/ports.ts';

const TENANT = 'tenant_1';
const KEY = 'the-audit-key';
const envelope = {
  schemaVersion: 1,
  occurredAt: '2024-03-02T10:00:00.000Z',
  tenantId: TENANT,
  correlationId: 'req_1',
  causationId: 'req_1',
  actor: 'key_1',
};
const alice: StreamRef = { type: 'account', tenantId: TENANT, id: 'acct_alice' };
const bank: StreamRef = { type: 'account', tenantId: TENANT, id: 'acct_bank' };

const opened = (accountId: string, kind: 'customer' | 'internal'): NewEvent => ({
  ...envelope,
  eventId: `evt_open_${accountId}`,
  type: 'AccountOpened',
  schemaVersion: 2,
  payload: {
    accountId,
    currency: 'USD',
    kind,
    flags: { debitsMustNotExceedCredits: kind !== 'internal', creditsMustNotExceedDebits: false },
  },
});
const posted = (n: number, amount: number): NewEvent => ({
  ...envelope,
  eventId: `evt_post_${n}`,
  occurredAt: `2024-03-02T10:00:0${n}.000Z`,
  type: 'TransferPosted',
  payload: {
    transferId: `xfer_${n}`,
    debitAccountId: 'acct_bank',
    creditAccountId: 'acct_alice',
    currency: 'USD',
    amount,
    purpose: 'transfer',
    reference: null,
  },
});

/**
 * A chained stream as the store writes it, read back through the item codec; the first `unchained`
 * events were written before the chain (no h), and the chain then starts from genesis.
 */
function chained(ref: StreamRef, events: readonly NewEvent[], unchained = 0): AuditedStream {
  let previous = GENESIS_HASH;
  return {
    ref,
    events: events.map((event, i): AuditedEvent => {
      const h = i < unchained ? undefined : eventHash(ref, i + 1, event, previous);
      previous = h ?? GENESIS_HASH;
      const raw = unmarshall(toItem(ref, i + 1, event, h));
      const link = chainLinkOfItem(raw);
      return { version: i + 1, content: link.content, h: link.h, event: storedEventFromItem(raw) };
    }),
  };
}

const streams = () => [
  chained(alice, [opened('acct_alice', 'customer'), posted(1, 100), posted(2, 250)]),
  chained(bank, [opened('acct_bank', 'internal'), posted(1, 100), posted(2, 250)]),
];

/** A source whose read models are the replay itself (what a caught-up projector holds). */
function source(over: Partial<AuditSource> = {}, data = streams()): AuditSource {
  const replayed = replayAccounts(data);
  return {
    streams: async () => data,
    snapshots: async () => [],
    digests: async () => [],
    readModels: async () => ({
      accountViews: replayed.views,
      history: new Map([...replayed.history].map(([id, rows]) => [id, [...rows.values()]])),
    }),
    ...over,
  };
}

const audit = (s: AuditSource) => auditTenant(s, TENANT, KEY, new Date('2024-03-03T00:00:00Z'));
const where = (report: Awaited<ReturnType<typeof audit>>) =>
  report.findings.map((f) => `${f.kind} ${f.stream ?? '-'}@${f.version ?? '-'}`);

describe('auditTenant', () => {
  it('finds nothing in an untouched ledger, and reports what it checked', async () => {
    const report = await audit(source());

    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.ranges).toContainEqual({ stream: 'account#acct_alice', from: 1, to: 3 });
    expect(report.counts).toMatchObject({
      streams: 2,
      events: 6,
      chainedEvents: 6,
      unchainedEvents: 0,
      historyRows: 4,
    });
  });

  it('names the stream and version of an edited amount (chain, view and history all disagree)', async () => {
    const data = streams();
    const [first] = data;
    const edited = first?.events[1];
    if (!first || !edited?.content || !edited.event) throw new Error('fixture');
    const content = { ...edited.content, payload: { ...edited.content.payload, amount: 1_000_000 } };
    const tampered = [
      { ...first, events: first.events.map((e, i) => (i === 1 ? { ...e, content } : e)) },
      ...data.slice(1),
    ];

    const report = await audit({ ...source({}, data), streams: async () => tampered });

    expect(where(report)).toContain('chain-broken account#acct_alice@2');
    expect(report.ok).toBe(false);
  });

  it('names the version of a deleted event, and the read model that has applied a deleted head', async () => {
    const data = streams();
    const [first, second] = data;
    if (!first || !second) throw new Error('fixture');
    const gap = { ...first, events: first.events.filter((e) => e.version !== 2) };
    const headless = { ...second, events: second.events.slice(0, 2) };

    const report = await audit({ ...source({}, data), streams: async () => [gap, headless] });

    expect(where(report)).toEqual(
      expect.arrayContaining([
        'version-missing account#acct_alice@2',
        'chain-broken account#acct_alice@3',
        'read-model account#acct_bank@3',
      ]),
    );
  });

  it('reports events before the chain as unchained, and the chain from its first hashed event', async () => {
    const [first, second] = streams();
    if (!first || !second) throw new Error('fixture');
    const old = { ...first, events: first.events.map((e, i) => (i === 0 ? { ...e, h: undefined } : e)) };
    const report = await audit(source({}, [old, second]));

    // Version 2 chained from its predecessor's h, which is gone: the chain restarts at genesis only when
    // the writer saw no h, so this stream shows the break; a truly old prefix is counted, not failed.
    expect(report.counts.unchainedEvents).toBe(1);
    expect(report.ranges).toContainEqual({
      stream: 'account#acct_alice',
      from: 1,
      to: 3,
      unchainedBefore: 2,
    });
  });

  it('checks snapshots: MAC, head and state against the replay', async () => {
    const data = streams();
    const [first] = data;
    if (!first) throw new Error('fixture');
    const head = first.events[1]?.h;
    const state = replayAccounts([{ ...first, events: first.events.slice(0, 2) }]).views.get('acct_alice');
    if (!state) throw new Error('fixture');
    const good: AuditedSnapshot = {
      stream: alice,
      version: 2,
      reducerVersion: 2,
      state,
      head,
      mac: undefined,
    };
    const sealed = { ...good, mac: snapshotMacUnder(KEY)(good) };
    const replaced = { ...sealed, state: { ...state, creditsPosted: 9 } };
    const otherKey = { ...good, mac: snapshotMacUnder('another key')(good) };

    expect((await audit(source({ snapshots: async () => [sealed, good] }, data))).findings).toEqual([]);
    expect(where(await audit(source({ snapshots: async () => [replaced] }, data)))).toEqual([
      'snapshot-mac account#acct_alice@2',
      'snapshot-state account#acct_alice@2',
    ]);
    expect(where(await audit(source({ snapshots: async () => [otherKey] }, data)))).toEqual([
      'snapshot-mac account#acct_alice@2',
    ]);
    expect(
      where(await audit(source({ snapshots: async () => [{ ...sealed, head: GENESIS_HASH }] }, data))),
    ).toEqual(['snapshot-mac account#acct_alice@2', 'snapshot-head account#acct_alice@2']);
  });

  it('computes the same MAC as the snapshot store writes', () => {
    const snapshot = { stream: alice, version: 2, reducerVersion: 2, state: { a: 1 } };
    const head = sha256('head');
    expect(snapshotMacUnder(KEY)({ ...snapshot, head, mac: undefined })).toEqual(
      snapshotMac(KEY, snapshot, head),
    );
  });
});

describe('digests', () => {
  const heads = () =>
    streams().map((s) => ({
      stream: `${s.ref.type}#${s.ref.id}`,
      version: s.events.length,
      h: s.events.at(-1)?.h,
    }));

  it('write one digest per tenant with its sorted heads and their Merkle root', async () => {
    const written: Digest[] = [];
    const summary = await writeDigests({
      source: {
        async *heads() {
          for (const head of heads()) yield { tenantId: TENANT, head };
          yield { tenantId: 'tenant_2', head: { stream: 'account#x', version: 1, h: undefined } };
        },
      },
      store: { put: async (d) => void written.push(d) },
      now: () => new Date('2024-03-03T00:00:00Z'),
    });

    expect(summary).toEqual({ tenants: 2, streams: 3 });
    expect(written.map((d) => d.key)).toEqual([
      'digests/tenant_1/2024-03-03T00:00:00.000Z.json',
      'digests/tenant_2/2024-03-03T00:00:00.000Z.json',
    ]);
    expect(written[0]?.heads.map(([s]) => s)).toEqual(['account#acct_alice', 'account#acct_bank']);
  });

  it('read back as written, and verify while the history holds the heads they saw', async () => {
    const digest = digestOf(TENANT, '2024-03-03T00:00:00.000Z', heads());
    const { key, ...body } = digest;
    const read = parseDigest(key, JSON.stringify(body));
    expect(read).toEqual(digest);

    expect((await audit(source({ digests: async () => [read] }))).findings).toEqual([]);
    const forged = { ...read, root: digestOf(TENANT, 'x', heads().slice(1)).root };
    expect(where(await audit(source({ digests: async () => [forged] })))).toEqual(['digest-root -@-']);
  });

  it('catch a history rewritten with every hash recomputed, naming the stream and version', async () => {
    const digest = digestOf(TENANT, '2024-03-03T00:00:00.000Z', heads());
    const rewritten = [
      chained(alice, [opened('acct_alice', 'customer'), posted(1, 999), posted(2, 250)]),
      ...streams().slice(1),
    ];
    const report = await audit(source({ digests: async () => [digest] }, rewritten));

    expect(where(report)).toContain('digest-head account#acct_alice@3');
    expect(report.findings.filter((f) => f.kind === 'chain-broken')).toEqual([]);
  });

  it('refuse a malformed digest object', () => {
    expect(() => parseDigest('k', '{"tenantId":"t","at":"x","root":"r","heads":[["s","1",null]]}')).toThrow(
      /malformed/,
    );
  });
});

describe('the report signature', () => {
  it('is HMAC-SHA-256 under the audit key over the canonical report, and breaks on any change', async () => {
    const signed = signReport(await audit(source()), KEY);

    expect(signed.signature.alg).toBe('HMAC-SHA-256');
    expect(reportSignatureValid(signed, KEY)).toBe(true);
    expect(reportSignatureValid({ ...signed, ok: false }, KEY)).toBe(false);
    expect(reportSignatureValid({ ...signed, findings: [{ kind: 'history', detail: 'x' }] }, KEY)).toBe(
      false,
    );
    expect(reportSignatureValid(signed, 'another key')).toBe(false);
    // Key order does not matter: the signature is over the canonical JSON.
    const { signature, ...body } = signed;
    const reordered = JSON.parse(
      JSON.stringify({ signature, ...Object.fromEntries(Object.entries(body).reverse()) }),
    );
    expect(reportSignatureValid(reordered, KEY)).toBe(true);
  });
});
