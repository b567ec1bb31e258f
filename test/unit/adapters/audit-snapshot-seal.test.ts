import { createHash, createHmac } from 'node:crypto';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ChainHeads,
  DynamoDbSnapshotStore,
  logRefusedSnapshot,
  type SnapshotRefusal,
} from '../../../lambdas/adapters/dynamodb-snapshot-store.ts';
import { buildLedgerPorts } from '../../../lambdas/composition/ledger.ts';
import { snapshotMacText } from '../../../lambdas/domain/audit.ts';
import type { StreamRef } from '../../../lambdas/domain/events.ts';

const ddbMock = mockClient(DynamoDBClient);
const stream: StreamRef = { type: 'account', tenantId: 'tenant_1', id: 'acct_1' };
const state = { id: 'acct_1', currency: 'USD', creditsPosted: 2500 };
const snapshot = { stream, version: 100, reducerVersion: 1, state };
const KEY = 'audit-key';
const h100 = new Uint8Array(createHash('sha256').update('event 100').digest());

/** The chain as the events table holds it: the `h` of each version. */
function chain(hashes: Record<number, Uint8Array>): ChainHeads & { calls: number } {
  return {
    calls: 0,
    async hashAt(_stream, version) {
      this.calls++;
      return hashes[version];
    },
  };
}

function sealedStore(heads: ChainHeads, refused: (r: SnapshotRefusal) => void = () => {}) {
  return new DynamoDbSnapshotStore({
    client: new DynamoDBClient({}),
    tableName: 'snapshots',
    sealing: { key: async () => KEY, heads, refused },
  });
}

/** The item a sealed store wrote for `snapshot`. */
async function written(heads: ChainHeads): Promise<NonNullable<PutItemCommandInput['Item']>> {
  ddbMock.on(PutItemCommand).resolves({});
  await sealedStore(heads).put(snapshot);
  const item = ddbMock.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
  if (!item) throw new Error('no PutItem');
  ddbMock.reset();
  return item;
}

beforeEach(() => {
  ddbMock.reset();
});

describe('sealed snapshots', () => {
  it('carry the chain head at their version and HMAC-SHA-256(key, the canonical snapshot text)', async () => {
    const item = await written(chain({ 100: h100 }));

    expect(item.head?.B).toEqual(h100);
    const mac = createHmac('sha256', KEY).update(snapshotMacText(snapshot, h100)).digest();
    expect(Buffer.from(item.mac?.B ?? [])).toEqual(mac);
  });

  it('load when the MAC verifies and the head is the event hash at that version', async () => {
    const heads = chain({ 100: h100 });
    const item = await written(heads);
    ddbMock.on(GetItemCommand).resolves({ Item: item });
    const refused = vi.fn();

    expect(await sealedStore(heads, refused).get(stream, 1)).toEqual(snapshot);
    expect(refused).not.toHaveBeenCalled();
  });

  it('are refused (null: replay the events) when the state was replaced', async () => {
    const heads = chain({ 100: h100 });
    const item = await written(heads);
    ddbMock.on(GetItemCommand).resolves({
      Item: { ...item, state: { M: { ...item.state?.M, creditsPosted: { N: '9999999' } } } },
    });
    const refused = vi.fn();

    expect(await sealedStore(heads, refused).get(stream, 1)).toBeNull();
    expect(refused).toHaveBeenCalledWith({
      stream: 'account#tenant_1#acct_1',
      version: 100,
      reducerVersion: 1,
      reason: 'mac',
    });
  });

  it('are refused when they carry no MAC (written unsealed)', async () => {
    const { mac: _mac, ...item } = await written(chain({ 100: h100 }));
    ddbMock.on(GetItemCommand).resolves({ Item: item });
    const refused = vi.fn();

    expect(await sealedStore(chain({ 100: h100 }), refused).get(stream, 1)).toBeNull();
    expect(refused).toHaveBeenCalledWith(expect.objectContaining({ reason: 'mac' }));
  });

  it("are refused when the event at their version no longer has the head's hash", async () => {
    const item = await written(chain({ 100: h100 }));
    ddbMock.on(GetItemCommand).resolves({ Item: item });
    const refused = vi.fn();
    const edited = chain({ 100: new Uint8Array(createHash('sha256').update('edited').digest()) });

    expect(await sealedStore(edited, refused).get(stream, 1)).toBeNull();
    expect(refused).toHaveBeenCalledWith(expect.objectContaining({ reason: 'head', version: 100 }));
  });

  it('are refused under another key', async () => {
    const item = await written(chain({ 100: h100 }));
    ddbMock.on(GetItemCommand).resolves({ Item: item });
    const store = new DynamoDbSnapshotStore({
      client: new DynamoDBClient({}),
      tableName: 'snapshots',
      sealing: { key: async () => 'another key', heads: chain({ 100: h100 }), refused: () => {} },
    });

    expect(await store.get(stream, 1)).toBeNull();
  });

  it('are not checked by an unsealed store', async () => {
    const item = await written(chain({ 100: h100 }));
    ddbMock.on(GetItemCommand).resolves({ Item: item });
    const store = new DynamoDbSnapshotStore({ client: new DynamoDBClient({}), tableName: 'snapshots' });

    expect(await store.get(stream, 1)).toEqual(snapshot);
  });

  it('report a refusal as one error line that is also the SnapshotsRefused count (EMF)', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    logRefusedSnapshot(
      { stream: 'account#t#a', version: 100, reducerVersion: 1, reason: 'mac' },
      1_700_000_000_000,
    );

    const line = JSON.parse(String(error.mock.calls[0]?.[0]));
    error.mockRestore();
    expect(line).toMatchObject({
      level: 'ERROR',
      stream: 'account#t#a',
      version: 100,
      reason: 'mac',
      SnapshotsRefused: 1,
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          { Namespace: 'Ledgerline', Metrics: [{ Name: 'SnapshotsRefused', Unit: 'Count' }] },
        ],
      },
    });
  });
});

describe('the ledger’s snapshot store (composition)', () => {
  const secrets = mockClient(SecretsManagerClient);
  const config = { eventsTableName: 'events', snapshotsTableName: 'snapshots' };
  const build = (auditKeySecretArn?: string) =>
    buildLedgerPorts(
      new DynamoDBClient({}),
      { ...config, ...(auditKeySecretArn ? { auditKeySecretArn } : {}) },
      () => new SecretsManagerClient({}),
    ).snapshots;
  const stored = async (store: ReturnType<typeof build>) => {
    ddbMock.on(GetItemCommand, { TableName: 'events' }).resolves({ Item: { h: { B: h100 } } });
    ddbMock.on(PutItemCommand).resolves({});
    await store.put(snapshot);
    const item = ddbMock.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
    ddbMock.reset();
    return item ?? {};
  };

  it('seals with the audit key the stack gives, and refuses a forged snapshot on load without reading events', async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: 'arn:audit' }).resolves({ SecretString: KEY });
    const store = build('arn:audit');
    const item = await stored(store);
    expect(item.mac?.B).toBeDefined();

    ddbMock.on(GetItemCommand, { TableName: 'snapshots' }).resolves({ Item: item });
    expect(await store.get(stream, 1)).toEqual(snapshot);
    ddbMock.on(GetItemCommand, { TableName: 'snapshots' }).resolves({
      Item: { ...item, mac: { B: new Uint8Array(32) } },
    });
    expect(await store.get(stream, 1)).toBeNull();
    expect(ddbMock.commandCalls(GetItemCommand, { TableName: 'events' })).toHaveLength(0);
  });

  it('writes unsealed snapshots when the stack gives no audit key', async () => {
    const item = await stored(build());
    expect(item.mac).toBeUndefined();
  });
});
