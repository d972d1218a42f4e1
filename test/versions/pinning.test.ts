import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import {
  createApiKey,
  createGateway,
  createPartner,
  createWebhook,
  type Partner,
  pairActive,
  partnerHeaders,
  snapshot,
} from '../api/fixtures.js';
import { Receiver } from '../helpers/receiver.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { DEPRECATION_WINDOW, TEST_VERSIONS, V1_SUPPORT_END, V2_RELEASE } from './testVersions.js';

interface WebhookJson {
  id: string;
  apiVersion: number;
  autoUpgradedAt: string | null;
  autoUpgradedFrom: number | null;
}

describe('API versions of deliveries (a registry of test versions: 1 current, 2 released 2026-07-01)', () => {
  let hh: TestHearthook;
  let receiver: Receiver;
  let dispatcher: Dispatcher;
  let partner: Partner;
  let gatewayId: string;

  beforeEach(async () => {
    hh = await startTestHearthook({ apiVersions: TEST_VERSIONS, retrySchedule: [0, 5000, 60_000] });
    receiver = await new Receiver().start();
    dispatcher = new Dispatcher(hh.rt);
    partner = await createPartner(hh.app);
    gatewayId = (await createGateway(hh.app)).gatewayId;
    await pairActive(hh.app, gatewayId, partner);
  });
  afterEach(async () => {
    await dispatcher.stop(0);
    await receiver.stop();
    await hh.close();
  });

  /** Moves the clock; a new API key, since keys expire after six months like the manufacturer's. */
  async function setClock(time: number) {
    hh.clock.set(time);
    partner = { ...partner, headers: partnerHeaders(await createApiKey(hh.app, partner.companyId)) };
  }

  const newWebhook = async (extra: Record<string, unknown> = {}) =>
    (await createWebhook(hh.app, partner.apiKey, { url: receiver.url, eventTypes: ['CONNECTIVITY_STATUS'], ...extra })) as unknown as WebhookJson;

  async function getWebhook(id: string): Promise<WebhookJson> {
    return (await hh.app.inject({ method: 'GET', url: `/v1/webhooks/${id}`, headers: partner.headers })).json();
  }

  const upgrade = (id: string, payload: unknown) =>
    hh.app.inject({ method: 'POST', url: `/v1/webhooks/${id}/upgrade`, headers: partner.headers, payload: payload as object });

  /** Emits one event, runs the dispatcher once, and answers what the receiver got for it. */
  async function deliverOne(status = 'OFFLINE') {
    const before = receiver.received.length;
    await hh.rt.store.transaction((tx) => fanOut(tx, hh.clock.now(), [{ type: 'CONNECTIVITY_STATUS', gatewayId, data: { connectivityStatus: status } }]));
    await deliverDue();
    expect(receiver.received).toHaveLength(before + 1);
    const req = receiver.received[before];
    return { header: req.headers['x-api-version'], body: JSON.parse(req.body) as Record<string, unknown>, id: req.headers['webhook-id'] };
  }

  async function deliverDue() {
    await dispatcher.tick();
    await dispatcher.idle();
  }

  const renderedMajors = async () =>
    (await hh.rt.store.all<{ api_version: number | null }>('SELECT api_version FROM deliveries ORDER BY id')).map((r) => r.api_version);

  it('pins a new webhook to the current major: 1 before major 2 is released, 2 from its release', async () => {
    expect((await newWebhook()).apiVersion).toBe(1);
    await setClock(V2_RELEASE);
    expect(await newWebhook()).toMatchObject({ apiVersion: 2, autoUpgradedAt: null, autoUpgradedFrom: null });
  });

  it('refuses to pin a new webhook to a major not yet released or past its support, naming /body/apiVersion', async () => {
    const before = await snapshot(hh.rt);
    const early = await hh.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: partner.headers,
      payload: { url: receiver.url, apiKeyName: 'x-api-key', apiKeyLocation: 'HEADER', apiKey: 'k', eventTypes: ['DATA_POINT'], apiVersion: 2 },
    });
    expect(early.statusCode).toBe(400);
    expect(early.json().errors).toEqual([{ field: '/body/apiVersion', message: 'API version 2 is not released until 2026-07-01; supported: 1' }]);
    expect(await snapshot(hh.rt)).toEqual(before);
    await setClock(V1_SUPPORT_END);
    const late = await hh.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: partner.headers,
      payload: { url: receiver.url, apiKeyName: 'x-api-key', apiKeyLocation: 'HEADER', apiKey: 'k', eventTypes: ['DATA_POINT'], apiVersion: 1 },
    });
    expect(late.statusCode).toBe(400);
    expect(late.json().errors[0].field).toBe('/body/apiVersion');
  });

  it('keeps delivering major 1 (flat, x-api-version 1.0) to a webhook pinned to it after major 2 is released, up to its support end', async () => {
    const webhook = await newWebhook();
    await setClock(DEPRECATION_WINDOW);
    const first = await deliverOne();
    expect(first.header).toBe('1.0');
    expect(first.body).toEqual({ eventType: 'CONNECTIVITY_STATUS', gatewayId, timestamp: new Date(DEPRECATION_WINDOW).toISOString(), connectivityStatus: 'OFFLINE' });
    await setClock(V1_SUPPORT_END - 1);
    expect((await deliverOne('ONLINE')).header).toBe('1.0');
    expect(await renderedMajors()).toEqual([1, 1]);
    expect(await getWebhook(webhook.id)).toMatchObject({ apiVersion: 1, autoUpgradedAt: null });
  });

  it('switches the next delivery to major 2 (envelope, x-api-version 2.0) when the partner opts in', async () => {
    const webhook = await newWebhook();
    await setClock(DEPRECATION_WINDOW);
    expect((await deliverOne()).header).toBe('1.0');

    const res = await upgrade(webhook.id, { apiVersion: 2 });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-api-version']).toBe('2.0');
    expect(res.json()).toMatchObject({ apiVersion: 2, autoUpgradedAt: null, autoUpgradedFrom: null });

    const next = await deliverOne('ONLINE');
    expect(next.header).toBe('2.0');
    expect(next.body).toMatchObject({ id: next.id, type: 'CONNECTIVITY_STATUS', gatewayId, sequence: 2, data: { connectivityStatus: 'ONLINE' } });
    expect(await renderedMajors()).toEqual([1, 2]);
    // Asking again for the major it is on changes nothing: a retried call is safe.
    expect((await upgrade(webhook.id, { apiVersion: 2 })).json()).toMatchObject({ apiVersion: 2, updatedAt: res.json().updatedAt });
  });

  it('refuses a downgrade, an unknown major and an unreleased one with 400 naming /body/apiVersion, changing nothing', async () => {
    const webhook = await newWebhook();
    const unreleased = await upgrade(webhook.id, { apiVersion: 2 });
    expect(unreleased.statusCode).toBe(400);
    expect(unreleased.json().errors).toEqual([{ field: '/body/apiVersion', message: 'API version 2 is not released until 2026-07-01; supported: 1' }]);

    await setClock(DEPRECATION_WINDOW);
    await upgrade(webhook.id, { apiVersion: 2 });
    const before = await snapshot(hh.rt);
    for (const payload of [{ apiVersion: 1 }, { apiVersion: 99 }, { apiVersion: 'two' }, {}]) {
      const res = await upgrade(webhook.id, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('/body/apiVersion');
    }
    expect((await upgrade(webhook.id, { apiVersion: 1 })).json().errors[0].message).toBe(
      'the webhook receives API version 2; an upgrade cannot go back to 1',
    );
    expect(await snapshot(hh.rt)).toEqual(before);
  });

  it("answers 404 to an upgrade of another company's webhook", async () => {
    const webhook = await newWebhook();
    await setClock(DEPRECATION_WINDOW);
    const other = await createPartner(hh.app, { name: 'Other Co' });
    const res = await hh.app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/upgrade`, headers: other.headers, payload: { apiVersion: 2 } });
    expect(res.statusCode).toBe(404);
    expect((await getWebhook(webhook.id)).apiVersion).toBe(1);
  });

  it('renders a retry in the major the webhook has at that attempt: a retry after an opt-in is 2.0, same event id', async () => {
    const webhook = await newWebhook();
    await setClock(DEPRECATION_WINDOW);
    receiver.reply = () => ({ status: 503 });
    const failed = await deliverOne();
    expect(failed.header).toBe('1.0');

    await upgrade(webhook.id, { apiVersion: 2 });
    receiver.reply = () => ({ status: 200 });
    hh.clock.advance(6000); // the 5 s step plus its jitter
    await deliverDue();
    const retry = receiver.received[1];
    expect(retry.headers['x-api-version']).toBe('2.0');
    expect(retry.headers['webhook-id']).toBe(failed.id);
    expect(JSON.parse(retry.body)).toMatchObject({ id: failed.id, sequence: 1 });
    expect(await renderedMajors()).toEqual([2]);
  });

  it('delivers major 2 without any action once major 1 is past its support end, and records the automatic upgrade once, for partner and operator', async () => {
    const webhook = await newWebhook();
    await setClock(V1_SUPPORT_END);
    const first = await deliverOne();
    expect(first.header).toBe('2.0');
    expect(first.body).toMatchObject({ type: 'CONNECTIVITY_STATUS', data: { connectivityStatus: 'OFFLINE' } });
    const recorded = { apiVersion: 2, autoUpgradedFrom: 1, autoUpgradedAt: new Date(V1_SUPPORT_END).toISOString() };
    expect(await getWebhook(webhook.id)).toMatchObject(recorded);

    hh.clock.advance(86_400_000);
    expect((await deliverOne('ONLINE')).header).toBe('2.0');
    expect(await getWebhook(webhook.id)).toMatchObject(recorded);
    expect(await renderedMajors()).toEqual([2, 2]);

    const operators = await hh.app.inject({ method: 'GET', url: '/v1/admin/webhooks?status=autoUpgraded', headers: admin });
    expect(operators.json().data).toEqual([expect.objectContaining({ id: webhook.id, companyId: partner.companyId, ...recorded })]);
  });

  it('renders a retry queued before the support end in major 2 when it is attempted after it', async () => {
    const webhook = await newWebhook();
    await setClock(V1_SUPPORT_END - 1000);
    receiver.reply = () => ({ status: 500 });
    expect((await deliverOne()).header).toBe('1.0');
    receiver.reply = () => ({ status: 200 });
    await setClock(V1_SUPPORT_END + 5000); // past the 5 s step plus jitter
    await deliverDue();
    expect(receiver.received[1].headers['x-api-version']).toBe('2.0');
    expect(await getWebhook(webhook.id)).toMatchObject({ apiVersion: 2, autoUpgradedFrom: 1 });
  });
});
