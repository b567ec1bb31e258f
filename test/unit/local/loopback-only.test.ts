// Every local service listens on 127.0.0.1 only: nothing the runtime starts is reachable from the network.
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb.ts';
import { type SqsEmulator, startSqsEmulator } from '../../../local/sqs.ts';

/** This machine's own non-loopback IPv4 addresses: a server on all interfaces answers on them too. */
const ownAddresses = Object.values(networkInterfaces())
  .flat()
  .filter((i) => i !== undefined && !i.internal && i.family === 'IPv4')
  .map((i) => i?.address ?? '');

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

let dynamodb: DynamoDbLocal;
let sqs: SqsEmulator;

beforeAll(async () => {
  [dynamodb, sqs] = await Promise.all([startDynamoDbLocal(), startSqsEmulator({ region: 'us-east-1' })]);
});
afterAll(async () => {
  await Promise.all([dynamodb?.stop(), sqs?.stop()]);
});

describe.skipIf(ownAddresses.length === 0)('local services bind loopback only', () => {
  it.each([
    ['DynamoDB Local', () => portOf(dynamodb.endpoint)],
    ['the SQS emulator', () => portOf(sqs.endpoint)],
  ])('%s answers on 127.0.0.1 and not on this machine’s other addresses', async (_name, port) => {
    expect(await accepts('127.0.0.1', port())).toBe(true);
    for (const address of ownAddresses) {
      expect({ address, accepted: await accepts(address, port()) }).toEqual({ address, accepted: false });
    }
  });
});
