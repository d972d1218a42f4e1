import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import type { Harness } from '../recovery/harness.js';
import { type ConsoleSession, startSignedInPartner } from './consoleSession.js';

/** A partner's actions in the console say what they did, and a form sent twice does it once. */
describe('console actions', () => {
  let h: Harness;
  let partner: Awaited<ReturnType<Harness['partner']>>;
  let session: ConsoleSession;

  beforeEach(async () => {
    ({ h, partner, session } = await startSignedInPartner({ retrySchedule: [0] }));
  });
  afterEach(() => h.close());

  const secretEnc = async () =>
    (await h.hh.rt.store.get<{ secret_enc: string }>('SELECT secret_enc FROM webhooks WHERE id = ?', [partner.webhookId]))!.secret_enc;
  const rotations = async () =>
    Number((await h.hh.rt.store.get<{ n: number }>("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'webhook.rotate_secret'"))!.n);

  it('rotates the secret once when the same rotate form is sent twice (a reload of the answer), and says why the second changed nothing', async () => {
    const page = await session.get(`/console/webhooks/${partner.webhookId}`);
    const replacing = /name="replacing" value="([^"]+)"/.exec(page.body)![1];
    expect(page.body).not.toContain(await secretEnc());
    const form = { _csrf: session.csrf, replacing };
    const before = await secretEnc();

    const first = await session.post(`/console/webhooks/${partner.webhookId}/rotate-secret`, form);
    expect(first.statusCode).toBe(200);
    const shown = /data-secret>([^<]+)</.exec(first.body)![1];
    const after = await secretEnc();
    expect(after).not.toBe(before);

    const again = await session.post(`/console/webhooks/${partner.webhookId}/rotate-secret`, form);
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('already rotated since this page was loaded');
    expect(again.body).not.toContain('data-secret');
    expect(await secretEnc()).toBe(after);
    expect(await rotations()).toBe(1);
    // The previous secret is still the one the first rotation replaced: the receiver's keeps verifying.
    const previous = await h.hh.rt.store.get<{ previous_secret_enc: string }>('SELECT previous_secret_enc FROM webhooks WHERE id = ?', [partner.webhookId]);
    expect(previous!.previous_secret_enc).toBe(before);
    expect(h.hh.rt.encrypter.decrypt(after)).toBe(shown.trim());

    // A form without the fingerprint (made before it existed, or by hand) rotates nothing either.
    expect((await session.post(`/console/webhooks/${partner.webhookId}/rotate-secret`, { _csrf: session.csrf })).statusCode).toBe(409);
    // The page the rotation answered carries the new fingerprint: rotating from it works.
    const next = /name="replacing" value="([^"]+)"/.exec(first.body)![1];
    expect((await session.post(`/console/webhooks/${partner.webhookId}/rotate-secret`, { _csrf: session.csrf, replacing: next })).statusCode).toBe(200);
    expect(await rotations()).toBe(2);
  });

  it("says a retry waits for the endpoint's open circuit, or for the webhook to be enabled, instead of going out now", async () => {
    h.receiver.reply = () => ({ status: 503 });
    await h.emit(partner.gatewayId);
    await h.deliverDue();
    const [dead] = await h.deliveries(partner.webhookId);
    expect(dead.status).toBe('dead');
    const publicId = (await deliveryIds(h.hh.rt.store)).encode(dead.id);
    const retry = async () => {
      await h.hh.rt.store.run("UPDATE deliveries SET status = 'dead', next_attempt_at = NULL WHERE id = ?", [dead.id]);
      await session.get(`/console/deliveries/${publicId}`);
      return session.post(`/console/deliveries/${publicId}/retry`, { _csrf: session.csrf }, { accept: 'application/json' });
    };

    expect((await retry()).json()).toEqual({ notice: 'Retry queued: the delivery goes out again now.' });

    const openUntil = h.hh.rt.clock.now() + 30_000;
    await h.hh.rt.store.run('UPDATE webhooks SET circuit_open_until = ? WHERE id = ?', [openUntil, partner.webhookId]);
    const at = new Date(openUntil).toISOString().replace('T', ' ').slice(0, 19);
    expect((await retry()).json()).toEqual({ notice: `Retry queued; its endpoint's circuit is open: the next try is at ${at}Z.` });
    // The page (no JavaScript) says the same.
    await h.hh.rt.store.run("UPDATE deliveries SET status = 'dead', next_attempt_at = NULL WHERE id = ?", [dead.id]);
    const page = await session.post(`/console/deliveries/${publicId}/retry`, { _csrf: session.csrf });
    expect(page.body).toContain(`circuit is open: the next try is at ${at}Z`);

    h.hh.clock.advance(30_001); // the circuit's end has passed
    expect((await retry()).json().notice).toBe('Retry queued: the delivery goes out again now.');

    await h.hh.rt.store.run('UPDATE webhooks SET enabled = 0 WHERE id = ?', [partner.webhookId]);
    expect((await retry()).json().notice).toBe('Retry queued; the webhook is disabled: the delivery goes out when it is enabled again.');
  });

  it('keeps the chosen type and version in the test-event form after sending', async () => {
    const page = await session.get(`/console/webhooks/${partner.webhookId}`);
    const majors = [...page.body.matchAll(/<option value="(\d+)"/g)].map((m) => m[1]);
    const sent = await session.post(`/console/webhooks/${partner.webhookId}/test`, { _csrf: session.csrf, eventType: 'DATA_POINT', apiVersion: majors[0] });
    expect(sent.statusCode).toBe(200);
    expect(sent.body).toContain('data-test-payload');
    expect(sent.body).toContain('<option selected>DATA_POINT</option>');
    expect(sent.body).toContain(`<option value="${majors[0]}" selected>`);
    // The page's own address, which console.js puts in the address bar: a reload does not send again.
    expect(sent.body).toContain(`data-page-url="/console/webhooks/${partner.webhookId}"`);
  });

  it("says what the webhooks list's attempt counts are", async () => {
    await h.emit(partner.gatewayId);
    await h.deliverDue();
    expect((await session.get('/console/webhooks')).body).toContain('1 attempt in 1 h, 1 in 24 h');
  });
});

describe('the upgrade preview', () => {
  let h: Harness;
  let partner: Awaited<ReturnType<Harness['partner']>>;
  let session: ConsoleSession;

  beforeEach(async () => {
    // At the test clock (2026-06-01) major 1 is deprecated and still supported, major 2 current.
    const apiVersions = [
      { major: 1, minor: 0, releasedAt: '2026-01-01' },
      { major: 2, minor: 0, releasedAt: '2026-05-01' },
    ];
    ({ h, partner, session } = await startSignedInPartner({ apiVersions }));
    await h.hh.rt.store.run('UPDATE webhooks SET api_version = 1 WHERE id = ?', [partner.webhookId]);
  });
  afterEach(() => h.close());

  it("shows the webhook's latest delivery with its own sequence, or before any the example a test send delivers (sequence 0), and says which", async () => {
    const before = await session.get(`/console/webhooks/${partner.webhookId}/upgrade?to=2`);
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain('An example CONNECTIVITY_STATUS event, as a test send delivers it');
    expect(before.body).toContain('000000000');
    expect(before.body).not.toMatch(/&quot;sequence&quot;: [1-9]/);

    await h.emit(partner.gatewayId);
    await h.emit(partner.gatewayId);
    const [, latest] = await h.hh.rt.store.all<{ event_id: string; sequence: number }>(
      'SELECT event_id, sequence FROM deliveries WHERE webhook_id = ? ORDER BY id',
      [partner.webhookId],
    );
    const after = await session.get(`/console/webhooks/${partner.webhookId}/upgrade?to=2`);
    expect(after.body).toContain(`Your latest delivery, its CONNECTIVITY_STATUS event with sequence ${latest.sequence}`);
    // Major 1 carries neither id nor sequence in its body; major 2 shows the delivery's own.
    expect(after.body).toContain(`&quot;id&quot;: &quot;${latest.event_id}&quot;`);
    expect(after.body).toContain(`&quot;sequence&quot;: ${latest.sequence},`);
    expect(after.body).not.toContain('000000000');
  });
});
