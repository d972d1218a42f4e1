import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { actOnContract, createGateway, createPartner, createWebhook, pair, type Partner } from './fixtures.js';

interface Delivery {
  id: string;
  eventId: string;
  webhookId: string;
  gatewayId: string;
  eventType: string;
  sequence: number;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
}

describe('partner deliveries', () => {
  let hh: TestHearthook;
  let partner: Partner;
  let webhookId: string;
  let gatewayId: string;
  beforeEach(async () => {
    hh = await startTestHearthook();
    partner = await createPartner(hh.app);
    webhookId = (await createWebhook(hh.app, partner.apiKey, { eventTypes: ['CONTRACT_STATUS'] })).id;
    gatewayId = (await createGateway(hh.app)).gatewayId;
    // Five ACTIVE-touching transitions: five CONTRACT_STATUS deliveries, sequences 1..5.
    await pair(hh.app, gatewayId, partner.companyId);
    for (const action of ['ACCEPT', 'REVOKE']) await actOnContract(hh.app, partner, gatewayId, action);
    await pair(hh.app, gatewayId, partner.companyId);
    for (const action of ['ACCEPT', 'REVOKE']) await actOnContract(hh.app, partner, gatewayId, action);
    await pair(hh.app, gatewayId, partner.companyId);
    await actOnContract(hh.app, partner, gatewayId, 'ACCEPT');
  });
  afterEach(() => hh.close());

  const list = (query = '', headers = partner.headers) =>
    hh.app.inject({ method: 'GET', url: `/v1/webhooks/${webhookId}/deliveries${query}`, headers });

  it('lists a webhook’s deliveries newest first, with the event type and ISO times', async () => {
    const res = await list();
    expect(res.statusCode).toBe(200);
    const { data, nextBefore } = res.json<{ data: Delivery[]; nextBefore: string | null }>();
    expect(data.map((d) => d.sequence)).toEqual([5, 4, 3, 2, 1]);
    expect(nextBefore).toBeNull();
    expect(data[0]).toMatchObject({
      webhookId,
      gatewayId,
      eventType: 'CONTRACT_STATUS',
      status: 'pending',
      attemptCount: 0,
      attempts: [],
      nextAttemptAt: new Date(hh.clock.now()).toISOString(),
    });
    expect(data[0].eventId).toMatch(/^evt_/);
  });

  it('pages with limit and after=nextCursor, as every list does, without skipping or repeating a delivery', async () => {
    const seen: number[] = [];
    let query = '?limit=2';
    for (let page = 0; page < 5; page++) {
      const body = (await list(query)).json<{ data: Delivery[]; nextCursor: string | null; nextBefore: string | null }>();
      expect(body.nextBefore).toBe(body.nextCursor);
      seen.push(...body.data.map((d) => d.sequence));
      if (body.nextCursor === null) break;
      query = `?limit=2&after=${body.nextCursor}`;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });

  it('refuses an after that is no delivery id, and a before that differs from it, naming the field', async () => {
    const bad = await list('?after=dlv_nope');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('/querystring/after');
    const [first, second] = (await list('?limit=2')).json<{ data: Delivery[] }>().data;
    const both = await list(`?after=${first.id}&before=${second.id}`);
    expect(both.statusCode).toBe(400);
    expect(both.json().errors).toEqual([{ field: '/querystring/before', message: 'is the deprecated name of after: give one of them' }]);
    expect((await list(`?after=${first.id}&before=${first.id}`)).statusCode).toBe(200);
  });

  it('still pages with the deprecated before and nextBefore', async () => {
    const seen: number[] = [];
    let query = '?limit=2';
    for (let page = 0; page < 5; page++) {
      const body = (await list(query)).json<{ data: Delivery[]; nextBefore: string | null }>();
      seen.push(...body.data.map((d) => d.sequence));
      if (body.nextBefore === null) break;
      query = `?limit=2&before=${body.nextBefore}`;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });

  it('filters by status', async () => {
    await hh.rt.store.run("UPDATE deliveries SET status = 'dead', next_attempt_at = NULL WHERE sequence IN (2, 4)");
    const dead = (await list('?status=dead')).json<{ data: Delivery[] }>().data;
    expect(dead.map((d) => [d.sequence, d.status, d.nextAttemptAt])).toEqual([
      [4, 'dead', null],
      [2, 'dead', null],
    ]);
  });

  it('shows one delivery with its attempts, oldest first', async () => {
    const [newest] = (await list('?limit=1')).json<{ data: Delivery[] }>().data;
    const t = hh.clock.now();
    const rowId = (await deliveryIds(hh.rt.store)).decode(newest.id);
    await hh.rt.store.run('UPDATE deliveries SET attempts = 2, status = ?, last_status_code = 500 WHERE id = ?', ['failed', rowId]);
    for (const [at, code, error] of [
      [t + 1000, 503, null],
      [t, null, 'connect ECONNREFUSED'],
    ] as const) {
      await hh.rt.store.run(
        'INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, duration_ms, response_body, error) VALUES (?, ?, ?, ?, ?, ?)',
        [rowId, at, code, 12, code ? 'busy' : null, error],
      );
    }
    const res = await hh.app.inject({ method: 'GET', url: `/v1/deliveries/${newest.id}`, headers: partner.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: newest.id, status: 'failed', lastStatusCode: 500, attemptCount: 2 });
    expect(res.json().attempts).toEqual([
      // Rows written without a target (as before migration 026): url and apiKeyHeader null.
      { attemptedAt: new Date(t).toISOString(), statusCode: null, durationMs: 12, responseBody: null, error: 'connect ECONNREFUSED', url: null, apiKeyHeader: null },
      { attemptedAt: new Date(t + 1000).toISOString(), statusCode: 503, durationMs: 12, responseBody: 'busy', error: null, url: null, apiKeyHeader: null },
    ]);
    // A delivery has one shape in the list and in the detail: the count and the attempts alike.
    const [listed] = (await list('?limit=1')).json<{ data: Array<Record<string, unknown>> }>().data;
    expect(listed).toEqual(res.json());
  });

  it("answers 404 to another company's delivery and delivery list", async () => {
    const other = await createPartner(hh.app, { name: 'Other Co' });
    const [newest] = (await list('?limit=1')).json<{ data: Delivery[] }>().data;
    expect((await list('', other.headers)).statusCode).toBe(404);
    const res = await hh.app.inject({ method: 'GET', url: `/v1/deliveries/${newest.id}`, headers: other.headers });
    expect(res.statusCode).toBe(404);
    expect(res.json().title).toBe('delivery not found');
  });

  it('shows opaque dlv_ ids that reveal no count: consecutive deliveries look unrelated, forged ones are not found', async () => {
    const data = (await list()).json<{ data: Delivery[] }>().data;
    const ids = await deliveryIds(hh.rt.store);
    for (const d of data) {
      expect(d.id).toMatch(/^dlv_[A-Za-z0-9_-]{22}$/);
      expect(ids.encode(ids.decode(d.id)!)).toBe(d.id);
    }
    const rowIds = data.map((d) => ids.decode(d.id)!);
    expect(Math.max(...rowIds) - Math.min(...rowIds)).toBe(data.length - 1); // consecutive inside…
    expect(new Set(data.map((d) => d.id.slice(4, 8))).size).toBe(data.length); // …unrelated outside
    const forged = `dlv_${Buffer.alloc(16).toString('base64url')}`;
    for (const id of [forged, `${data[0].id.slice(0, -1)}${data[0].id.endsWith('A') ? 'B' : 'A'}`]) {
      const res = await hh.app.inject({ method: 'GET', url: `/v1/deliveries/${id}`, headers: partner.headers });
      expect(res.statusCode).toBe(404);
    }
    for (const id of ['1', '42', 'dlv_short', `${data[0].id}x`]) {
      const res = await hh.app.inject({ method: 'GET', url: `/v1/deliveries/${id}`, headers: partner.headers });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].field).toBe('/params/id');
    }
    const bad = await list('?before=dlv_AAAAAAAAAAAAAAAAAAAAAA');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('/querystring/before');
  });
});
