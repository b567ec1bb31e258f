import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../../lambdas/shared/webhook-signature.ts';

const secret = 'whsec_test_1';
const body = '{"id":"evt_1","type":"capture.succeeded","amount":1000}';
const now = 1_795_000_000;

describe('webhook signatures', () => {
  it('accepts a delivery signed with the secret within the window', () => {
    expect(verifyWebhook([secret], signWebhook(secret, body, now - 10), body, now)).toEqual({
      valid: true,
      timestamp: now - 10,
    });
  });

  it('refuses a wrong secret', () => {
    expect(verifyWebhook([secret], signWebhook('whsec_other', body, now), body, now)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
  });

  it('refuses a stale timestamp, and a replay of an old delivery with a fresh timestamp', () => {
    const old = signWebhook(secret, body, now - 301);
    expect(verifyWebhook([secret], old, body, now)).toMatchObject({ reason: 'stale' });
    const replayed = old.replace(`t=${now - 301}`, `t=${now}`);
    expect(verifyWebhook([secret], replayed, body, now)).toMatchObject({ reason: 'mismatch' });
  });

  it('refuses a tampered body', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhook([secret], header, body.replace('1000', '100000'), now)).toMatchObject({
      reason: 'mismatch',
    });
  });

  it('refuses malformed headers', () => {
    for (const header of [undefined, '', 'v1=abc', 't=abc,v1=00', `t=${now}`, `t=${now},t=${now},v1=00`]) {
      expect(verifyWebhook([secret], header, body, now)).toMatchObject({ valid: false, reason: 'malformed' });
    }
  });

  it('accepts the new secret or the old one during a rotation', () => {
    const header = signWebhook('whsec_old', body, now);
    expect(verifyWebhook(['whsec_new', 'whsec_old'], header, body, now).valid).toBe(true);
  });
});
