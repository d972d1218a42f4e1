import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshot } from '../api/fixtures.js';
import { type Harness, startHarness } from './harness.js';

describe('the test event', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.hh.clock.set(Date.now()); // the standardwebhooks package checks the timestamp against real time
  });
  afterEach(() => h.close());

  const sendTest = (webhookId: string, headers: Record<string, string>, query = '') =>
    h.hh.app.inject({ method: 'POST', url: `/v1/webhooks/${webhookId}/test${query}`, headers });

  it('reaches the endpoint signed so standardwebhooks verifies it, marked as a test, and stores nothing', async () => {
    const p = await h.partner({ eventTypes: ['DATA_POINT', 'APPLIANCE_STATUS'] });
    h.receiver.reply = () => ({ status: 202, body: 'got it' });
    const before = await snapshot(h.hh.rt);

    const res = await sendTest(p.webhookId, p.headers);
    expect(res.statusCode).toBe(200);
    const answer = res.json();
    expect(answer).toMatchObject({ statusCode: 202, responseBody: 'got it', error: null, apiVersion: 2, eventType: 'DATA_POINT' });
    expect(answer.durationMs).toBeGreaterThanOrEqual(0);

    expect(h.receiver.received).toHaveLength(1);
    const req = h.receiver.received[0];
    expect(req.headers['x-api-key']).toBe(p.apiKey);
    expect(req.headers['x-api-version']).toBe('2.0');
    expect(req.headers['webhook-id']).toBe(answer.eventId);
    const body = new Webhook(p.secret).verify(req.body, req.headers as Record<string, string>);
    expect(body).toMatchObject({ id: answer.eventId, type: 'DATA_POINT', gatewayId: '000000000', sequence: 0, data: { test: true } });

    expect(await snapshot(h.hh.rt)).toEqual(before); // no event, no delivery, no sequence taken
  });

  it('previews another API major when asked, and sends a chosen subscribed type', async () => {
    const p = await h.partner({ eventTypes: ['DATA_POINT', 'APPLIANCE_STATUS'] });
    const res = await sendTest(p.webhookId, p.headers, '?apiVersion=1&eventType=APPLIANCE_STATUS');
    expect(res.json()).toMatchObject({ statusCode: 200, apiVersion: 1, eventType: 'APPLIANCE_STATUS' });
    const req = h.receiver.received[0];
    expect(req.headers['x-api-version']).toBe('1.0');
    const body = new Webhook(p.secret).verify(req.body, req.headers as Record<string, string>);
    expect(body).toMatchObject({ eventType: 'APPLIANCE_STATUS', gatewayId: '000000000', displayCode: 'A11', test: true });
  });

  it('reports an unreachable endpoint in the answer instead of failing the call', async () => {
    const p = await h.partner();
    await h.receiver.stop();
    const res = await sendTest(p.webhookId, p.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ statusCode: null, responseBody: null, error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('goes through the address checks: a loopback endpoint is refused without an allow-list', async () => {
    await h.close();
    h = await startHarness({ allowPrivateNetworks: [] });
    const p = await h.partner();
    const res = await sendTest(p.webhookId, p.headers);
    expect(res.json()).toMatchObject({ statusCode: null, error: expect.stringMatching(/^refused: /) });
    expect(h.receiver.received).toHaveLength(0);
  });
});
