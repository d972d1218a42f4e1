import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { verifies } from '../helpers/receiver.js';
import { type Harness, startHarness } from './harness.js';

const GRACE = 60_000; // short, so the clock stays within the package's 5-minute timestamp tolerance

describe('rotating a webhook secret', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ secretRotationGraceMs: GRACE });
    h.hh.clock.set(Date.now()); // the standardwebhooks package checks the timestamp against real time
  });
  afterEach(() => h.close());

  const rotate = (webhookId: string, headers: Record<string, string>) =>
    h.hh.app.inject({ method: 'POST', url: `/v1/webhooks/${webhookId}/rotate-secret`, headers });

  it("keeps the old secret's signature verifying within the grace period and not after", async () => {
    const p = await h.partner();
    const oldSecret = p.secret;
    await h.emit(p.gatewayId);
    await h.deliverDue(); // the dispatcher now holds the decrypted webhook in its cache
    expect(verifies(oldSecret, h.receiver.received[0])).toBe(true);

    const res = await rotate(p.webhookId, p.headers); // same millisecond as the cached row
    expect(res.statusCode).toBe(200);
    const { secret: newSecret, previousSecretExpiresAt } = res.json();
    expect(newSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(newSecret).not.toBe(oldSecret);
    expect(previousSecretExpiresAt).toBe(new Date(h.hh.clock.now() + GRACE).toISOString());

    await h.emit(p.gatewayId);
    await h.deliverDue();
    const during = h.receiver.received[1];
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(oldSecret, during)).toBe(true);
    expect(verifies(newSecret, during)).toBe(true);

    h.hh.clock.advance(GRACE); // the grace ends; no row changes, so only the cache's own expiry can tell
    await h.emit(p.gatewayId);
    await h.deliverDue();
    const after = h.receiver.received[2];
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(newSecret, after)).toBe(true);
    expect(verifies(oldSecret, after)).toBe(false);
  });

  it('signs the test event with both secrets during the grace period', async () => {
    const p = await h.partner();
    const { secret: newSecret } = (await rotate(p.webhookId, p.headers)).json();
    await h.hh.app.inject({ method: 'POST', url: `/v1/webhooks/${p.webhookId}/test`, headers: p.headers });
    expect(verifies(p.secret, h.receiver.received[0])).toBe(true);
    expect(verifies(newSecret, h.receiver.received[0])).toBe(true);
  });

  it('drops the oldest secret at once when rotated again within the grace period: two sign at most', async () => {
    const p = await h.partner();
    const { secret: second } = (await rotate(p.webhookId, p.headers)).json();
    const { secret: third } = (await rotate(p.webhookId, p.headers)).json();
    await h.emit(p.gatewayId);
    await h.deliverDue();
    const req = h.receiver.received[0];
    expect([verifies(p.secret, req), verifies(second, req), verifies(third, req)]).toEqual([false, true, true]);
  });

  it("answers 404 for another partner's webhook and leaves its secret alone", async () => {
    const p = await h.partner();
    const intruder = await h.partner();
    const res = await rotate(p.webhookId, intruder.headers);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    await h.emit(p.gatewayId);
    await h.deliverDue();
    const req = h.receiver.received[0];
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(p.secret, req)).toBe(true);
  });
});

describe('the rotation grace setting', () => {
  it('is 24 hours unless HEARTHOOK_SECRET_ROTATION_GRACE says otherwise', () => {
    expect(loadConfig({}).secretRotationGraceMs).toBe(24 * 3_600_000);
    expect(loadConfig({ HEARTHOOK_SECRET_ROTATION_GRACE: '2h' }).secretRotationGraceMs).toBe(7_200_000);
    expect(() => loadConfig({ HEARTHOOK_SECRET_ROTATION_GRACE: 'soon' })).toThrow(/HEARTHOOK_SECRET_ROTATION_GRACE/);
  });
});
