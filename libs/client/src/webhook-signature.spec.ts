import { signWebhook, verifyWebhook } from './webhook-signature';

const secret = 'whsec_test_0123456789';
const body = '{"id":"n1","type":"dead-letter"}';
const now = Date.parse('2026-12-07T12:00:00Z');
const at = now / 1000;

describe('webhook signatures', () => {
  it('accepts what was signed with the secret, within the tolerance', () => {
    expect(verifyWebhook(secret, signWebhook(secret, body, at), body, { now })).toBeNull();
    expect(verifyWebhook(secret, signWebhook(secret, body, at - 299), body, { now })).toBeNull();
  });

  it('refuses a forged signature, another body, another secret', () => {
    const forged = `t=${at},v1=${'0'.repeat(64)}`;
    expect(verifyWebhook(secret, forged, body, { now })).toBe('SIGNATURE_MISMATCH');
    expect(verifyWebhook(secret, signWebhook(secret, body, at), `${body} `, { now })).toBe(
      'SIGNATURE_MISMATCH',
    );
    expect(verifyWebhook(secret, signWebhook('another', body, at), body, { now })).toBe(
      'SIGNATURE_MISMATCH',
    );
  });

  it('refuses a replay older than the tolerance, and a signature moved to another time', () => {
    expect(verifyWebhook(secret, signWebhook(secret, body, at - 301), body, { now })).toBe(
      'TOO_OLD',
    );
    const moved = signWebhook(secret, body, at - 1000).replace(`t=${at - 1000}`, `t=${at}`);
    expect(verifyWebhook(secret, moved, body, { now })).toBe('SIGNATURE_MISMATCH');
  });

  it('takes any of several signatures (a secret being rotated), refuses a malformed header', () => {
    const rotated = `${signWebhook('old-secret', body, at)},v1=${signWebhook(secret, body, at).split('v1=')[1]}`;
    expect(verifyWebhook(secret, rotated, body, { now })).toBeNull();
    for (const header of [undefined, '', 'v1=abc', `t=${at}`, `t=x,v1=ab`, `t=${at},t=${at},v1=ab`])
      expect(verifyWebhook(secret, header, body, { now })).toBe('MALFORMED_HEADER');
  });
});
