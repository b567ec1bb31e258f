/**
 * `audit:verify`: re-reads a tenant's whole ledger through an AuditSource and checks every chain link,
 * every digest, every snapshot and the read models against a replay; the report is signed with the
 * audit key (HMAC-SHA-256 over its canonical JSON, see lambdas/domain/audit.ts).
 */
import { createHmac } from 'node:crypto';
import { base64url, canonicalJson, snapshotMacText } from '../domain/audit.ts';
import { type ReadModelsSeen, replayAccounts, verifyReadModels } from '../domain/audit-replay.ts';
import {
  type AuditedSnapshot,
  type AuditedStream,
  type Digest,
  type Finding,
  streamName,
  verifyChain,
  verifyDigest,
  verifySnapshot,
} from '../domain/audit-verify.ts';
import { sha256 } from './audit-digest.ts';

/** Where the audit reads from (the CLI implements it on DynamoDB, S3 and Secrets Manager). */
export interface AuditSource {
  /** Every stream of the tenant with all its events, in version order. */
  streams(tenantId: string): Promise<AuditedStream[]>;
  snapshots(tenantId: string): Promise<AuditedSnapshot[]>;
  /** The read models' account views and history rows for these account streams. */
  readModels(tenantId: string, streams: readonly AuditedStream[]): Promise<ReadModelsSeen>;
  digests(tenantId: string): Promise<Digest[]>;
}

/** The format of the report, so a reader knows what it signs. */
export const REPORT_FORMAT = 'ledgerline-audit-report-v1';

/** The report before it is signed. */
export interface AuditReport {
  readonly format: typeof REPORT_FORMAT;
  readonly tenantId: string;
  readonly checkedAt: string;
  readonly ok: boolean;
  /** Versions checked per stream; `unchainedBefore` when its first events predate the chain. */
  readonly ranges: readonly {
    readonly stream: string;
    readonly from: number;
    readonly to: number;
    readonly unchainedBefore?: number;
  }[];
  readonly counts: Readonly<Record<string, number>>;
  readonly findings: readonly Finding[];
}

/** A report with its signature. */
export interface SignedReport extends AuditReport {
  readonly signature: { readonly alg: 'HMAC-SHA-256'; readonly value: string };
}

/** HMAC-SHA-256 of a snapshot under the audit key (the same text as the snapshot store's MAC). */
export function snapshotMacUnder(key: string): (snapshot: AuditedSnapshot) => Uint8Array {
  return (snapshot) =>
    new Uint8Array(createHmac('sha256', key).update(snapshotMacText(snapshot, snapshot.head)).digest());
}

/** Audits one tenant; `key` is the audit key (null: sealed snapshots are checked by head and replay only). */
export async function auditTenant(
  source: AuditSource,
  tenantId: string,
  key: string | null,
  now: Date,
): Promise<AuditReport> {
  const [streams, snapshots, digests] = await Promise.all([
    source.streams(tenantId),
    source.snapshots(tenantId),
    source.digests(tenantId),
  ]);
  const byName = new Map(streams.map((s) => [streamName(s.ref), s]));
  const findings: Finding[] = [];
  const ranges: AuditReport['ranges'][number][] = [];
  let events = 0;
  let unchained = 0;
  for (const stream of streams) {
    const chain = verifyChain(sha256, stream);
    findings.push(...chain.findings);
    events += stream.events.length;
    const before = chain.chainedFrom === null ? chain.head.version + 1 : chain.chainedFrom;
    unchained += stream.events.filter((e) => e.version < before).length;
    ranges.push({
      stream: streamName(stream.ref),
      from: stream.events[0]?.version ?? 0,
      to: chain.head.version,
      ...(before > 1 ? { unchainedBefore: before } : {}),
    });
  }
  for (const digest of digests) findings.push(...verifyDigest(sha256, digest, byName));
  let sealed = 0;
  const mac = key === null ? null : snapshotMacUnder(key);
  for (const snapshot of snapshots) {
    const checked = verifySnapshot(snapshot, byName.get(streamName(snapshot.stream)), mac);
    findings.push(...checked.findings);
    if (checked.sealed) sealed++;
  }
  const replayed = replayAccounts(streams);
  const seen = await source.readModels(tenantId, streams);
  findings.push(...verifyReadModels(replayed, seen));
  return {
    format: REPORT_FORMAT,
    tenantId,
    checkedAt: now.toISOString(),
    ok: findings.length === 0,
    ranges,
    counts: {
      streams: streams.length,
      events,
      chainedEvents: events - unchained,
      unchainedEvents: unchained,
      digests: digests.length,
      digestHeads: digests.reduce((n, d) => n + d.heads.length, 0),
      snapshots: snapshots.length,
      snapshotsSealed: sealed,
      accountViews: replayed.views.size,
      historyRows: [...replayed.history.values()].reduce((n, rows) => n + rows.size, 0),
      findings: findings.length,
    },
    findings,
  };
}

/** Signs a report: HMAC-SHA-256 under the audit key over the canonical JSON of the report without signature. */
export function signReport(report: AuditReport, key: string): SignedReport {
  const value = base64url(new Uint8Array(createHmac('sha256', key).update(canonicalJson(report)).digest()));
  return { ...report, signature: { alg: 'HMAC-SHA-256', value } };
}

/** Whether a signed report is unchanged since it was signed under `key`. */
export function reportSignatureValid(report: SignedReport, key: string): boolean {
  const { signature, ...unsigned } = report;
  return signReport(unsigned, key).signature.value === signature.value;
}
