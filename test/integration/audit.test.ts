// `npm run audit:verify` against the suite's local runtime: an untouched ledger verifies; editing one
// event's amount, deleting one event and replacing a snapshot (straight on DynamoDB Local) each fail it,
// naming the stream and version. Each tampering is undone before the next, so the tenant stays whole.
import { readFileSync } from 'node:fs';
import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectionTarget } from '../../cli/projection-target.ts';
import { localTarget } from '../../cli/target.ts';
import { ACCOUNT_REDUCER_VERSION } from '../../lambdas/domain/account.ts';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb.ts';
import type { LocalStateFile } from '../../local/state-file.ts';
import { auditVerify as auditVerifyCli, depositedAccount } from '../support/audit-verify.ts';
import { apiClient } from '../support/http-api.ts';

const apiUrl = inject('apiUrl').replace(/\/$/, '');
const apiKey = inject('secondApiKey');
const local = inject('localRuntime');
const api = apiClient(apiUrl, apiKey);

// biome-ignore lint/suspicious/noExplicitAny: the report's JSON, checked by the assertions
type Report = any;

/** Runs `audit:verify --tenant <tenant>` as an operator would, against the suite's runtime. */
const auditVerify = (tenant: string) => auditVerifyCli<Report>(tenant, local?.stateFile ?? '');

let tenant = '';
let accountId = '';
let ddb: DynamoDBClient;
let eventsTable = '';
let snapshotsTable = '';
const accountKey = () => `account#${tenant}#${accountId}`;
/** 1 AccountOpened + 99 deposits: the 100th event makes the account's first snapshot. */
const DEPOSITS = 99;

beforeAll(async () => {
  if (!local) return;
  const state = JSON.parse(readFileSync(local.stateFile, 'utf8')) as LocalStateFile;
  tenant = state.apiKeys.find((k) => k.value === apiKey)?.id ?? '';
  const tables = await projectionTarget(localTarget({ stateFile: local.stateFile }, ''));
  eventsTable = tables.eventsTable;
  snapshotsTable = tables.snapshotsTable;
  tables.destroy();
  ddb = new DynamoDBClient({
    endpoint: local.dynamodbEndpoint,
    region: state.region,
    credentials: LOCAL_CREDENTIALS,
  });
  // The read models catch up with the events (the projector runs off the stream) before the audit reads them.
  accountId = await depositedAccount(api, DEPOSITS);
}, 180_000);

afterAll(() => ddb?.destroy());

async function getItem(table: string, key: Record<string, AttributeValue>) {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
  if (!Item) throw new Error(`no item ${JSON.stringify(key)} in ${table}`);
  return Item;
}

/** Runs `change` on DynamoDB Local, checks the audit, then puts the original item back. */
async function tampered(
  table: string,
  key: Record<string, AttributeValue>,
  change: (item: Record<string, AttributeValue>) => Promise<void>,
): Promise<Report> {
  const original = await getItem(table, key);
  try {
    await change(original);
    const { code, report } = await auditVerify(tenant);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    return report;
  } finally {
    await ddb.send(new PutItemCommand({ TableName: table, Item: original }));
  }
}

const eventKey = (version: number) => ({ pk: { S: accountKey() }, version: { N: String(version) } });
const named = (report: Report, kind: string, version: number) =>
  report.findings.filter(
    (f: { kind: string; stream: string; version: number }) =>
      f.kind === kind && f.stream === `account#${accountId}` && f.version === version,
  );

describe.skipIf(!local)('audit:verify on the local runtime', () => {
  it('verifies an untouched ledger and signs the report', async () => {
    const { code, report, stderr } = await auditVerify(tenant);

    expect(stderr).toBe('');
    expect(report).toMatchObject({
      format: 'ledgerline-audit-report-v1',
      tenantId: tenant,
      ok: true,
      findings: [],
    });
    expect(code).toBe(0);
    expect(report.ranges).toContainEqual({ stream: `account#${accountId}`, from: 1, to: DEPOSITS + 1 });
    expect(report.counts).toMatchObject({ unchainedEvents: 0, snapshots: expect.any(Number) });
    expect(report.counts.snapshots).toBeGreaterThanOrEqual(1);
    expect(report.signature).toMatchObject({
      alg: 'HMAC-SHA-256',
      value: expect.stringMatching(/^[\w-]{43}$/),
    });
  }, 120_000);

  it("fails when one event's amount is edited in place, naming the stream and version", async () => {
    const report = await tampered(eventsTable, eventKey(50), async (item) => {
      const payload = item.p?.M ?? {};
      const edited = { ...item, p: { M: { ...payload, A: { N: '1000000' } } } };
      await ddb.send(new PutItemCommand({ TableName: eventsTable, Item: edited }));
    });

    expect(named(report, 'chain-broken', 50)).toHaveLength(1);
  }, 120_000);

  it('fails when one event is deleted, naming the stream and version', async () => {
    const report = await tampered(eventsTable, eventKey(30), async () => {
      await ddb.send(new DeleteItemCommand({ TableName: eventsTable, Key: eventKey(30) }));
    });

    expect(named(report, 'version-missing', 30)).toHaveLength(1);
  }, 120_000);

  it('fails when a snapshot is replaced, naming the stream and version', async () => {
    const key = { pk: { S: accountKey() }, reducerVersion: { N: String(ACCOUNT_REDUCER_VERSION) } };
    const report = await tampered(snapshotsTable, key, async (item) => {
      const state = item.state?.M ?? {};
      const replaced = { ...item, state: { M: { ...state, creditsPosted: { N: '99999999' } } } };
      await ddb.send(new PutItemCommand({ TableName: snapshotsTable, Item: replaced }));
    });

    expect(named(report, 'snapshot-state', 100)).toHaveLength(1);
  }, 120_000);
});
