/**
 * `verify` agrees with the official `standardwebhooks` package on the same inputs: genuine
 * deliveries (one or several signatures, several secrets during a rotation) and every way of
 * breaking one (another secret, a changed body, id or timestamp, a stale or future timestamp,
 * junk in the signature header, missing headers).
 */
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verify, WebhookVerificationError } from '../../src/receiver/index.js';

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 13;
const secretArb = fc.uint8Array({ minLength: 16, maxLength: 40 }).map((b) => `whsec_${Buffer.from(b).toString('base64')}`);
const idArb = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\r\n]/.test(s) && s.trim() === s && s.length > 0);
const bodyArb = fc.oneof(fc.json(), fc.string({ unit: 'grapheme', maxLength: 300 }));

/** The official package's verdict: true for accepted, else its error message. */
function official(secret: string, body: string, headers: Record<string, string>): true | string {
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false } as never);
    return true;
  } catch (err) {
    return (err as Error).message;
  }
}

async function ours(secrets: string[], body: string, headers: Record<string, string>): Promise<true | string> {
  try {
    await verify(body, headers, secrets);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError);
    return (err as Error).message;
  }
}

function signed(secret: string, id: string, seconds: number, body: string) {
  return { 'webhook-id': id, 'webhook-timestamp': String(seconds), 'webhook-signature': new Webhook(secret).sign(id, new Date(seconds * 1000), body) };
}

describe('verify, against the official standardwebhooks package', () => {
  it('accepts what the official package signs, and rejects it with any other secret, body or id, as the package does', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, idArb, bodyArb, fc.integer({ min: -250, max: 250 }), async (secret, other, id, body, skew) => {
        const seconds = Math.floor(Date.now() / 1000) + skew;
        const headers = signed(secret, id, seconds, body);
        expect(await ours([secret], body, headers)).toBe(true);
        expect(official(secret, body, headers)).toBe(true);
        // Rotation: any of several secrets may have signed it.
        expect(await ours([other, secret], body, headers)).toBe(true);
        if (other !== secret) expect(await ours([other], body, headers)).toBe(official(other, body, headers));
        const tampered = `${body} `;
        expect(await ours([secret], tampered, headers)).toBe(official(secret, tampered, headers));
        const otherId = { ...headers, 'webhook-id': `${id}x` };
        expect(await ours([secret], body, otherId)).toBe(official(secret, body, otherId));
      }),
      { seed, numRuns: 150 },
    );
  });

  it('rejects stale and future timestamps as the package does, at the same edges', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, idArb, fc.integer({ min: -100_000, max: 100_000 }), async (secret, id, skew) => {
        const seconds = Math.floor(Date.now() / 1000) + skew;
        // A second ticking over between the two calls moves the edge: keep clear of it by one second.
        fc.pre(Math.abs(Math.abs(skew) - 300) > 1);
        const headers = signed(secret, id, seconds, '{}');
        expect(await ours([secret], '{}', headers)).toBe(official(secret, '{}', headers));
      }),
      { seed, numRuns: 200 },
    );
  });

  it('agrees on signature headers with several entries, other versions, junk and missing headers', async () => {
    const entry = fc.oneof(
      fc.constant('GOOD'),
      fc.base64String({ minLength: 4, maxLength: 44 }).map((s) => `v1,${s}`),
      fc.base64String({ maxLength: 44 }).map((s) => `v2,${s}`),
      fc.string({ maxLength: 20 }).filter((s) => !s.includes(' ') && !/[\r\n]/.test(s)),
    );
    await fc.assert(
      fc.asyncProperty(secretArb, idArb, fc.array(entry, { maxLength: 4 }), fc.subarray(['webhook-id', 'webhook-timestamp', 'webhook-signature']), async (secret, id, entries, drop) => {
        const good = signed(secret, id, Math.floor(Date.now() / 1000), '{"a":1}');
        const headers: Record<string, string> = { ...good, 'webhook-signature': entries.map((e) => (e === 'GOOD' ? good['webhook-signature'] : e)).join(' ') };
        for (const name of drop) delete headers[name];
        expect(await ours([secret], '{"a":1}', headers)).toBe(official(secret, '{"a":1}', headers));
      }),
      { seed, numRuns: 200 },
    );
  });

  it('takes the body as bytes, headers as a Fetch Headers object, and a custom tolerance', async () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const body = '{"id":"evt_1","type":"DATA_POINT"}';
    const seconds = Math.floor(Date.now() / 1000) - 100;
    const headers = new Headers(signed(secret, 'evt_1', seconds, body));
    expect(await verify(new TextEncoder().encode(body), headers, secret)).toEqual({ id: 'evt_1', timestamp: seconds });
    await expect(verify(body, headers, secret, { toleranceSeconds: 60 })).rejects.toThrow('Message timestamp too old');
    await expect(verify(body, { ...Object.fromEntries(headers), 'webhook-timestamp': `${seconds}abc` }, secret)).rejects.toThrow(WebhookVerificationError);
  });
});
