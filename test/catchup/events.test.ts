import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/api/partner/events.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import { reportPendingFaults } from '../../src/scheduler/jobs/reportPendingFaults.js';
import { createGateway, createPartner, expectCall, type Partner, pairActive } from '../api/fixtures.js';
import { testPostgresUrl } from '../helpers/testDatabase.js';
import { ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

const POWER = 'hvac.emon.compressor.powerCurrent';

interface Envelope {
  id: string;
  type: string;
  timestamp: string;
  occurredAt: string | null;
  gatewayId: string;
  data: Record<string, unknown>;
}
interface Page {
  data: Envelope[];
  nextCursor: string | null;
  hasMore: boolean;
}

describe('GET /v1/events (catch-up)', () => {
  let hh: TestHearthook;
  let partner: Partner;
  let other: Partner;
  let mine: string;
  let errorsOnly: string;
  let theirs: string;

  beforeEach(async () => {
    hh = await startTestHearthook();
    partner = await createPartner(hh.app, { languages: ['de'], autoAccept: true });
    other = await createPartner(hh.app, { autoAccept: true });
    mine = (await createGateway(hh.app)).gatewayId;
    errorsOnly = (await createGateway(hh.app)).gatewayId;
    theirs = (await createGateway(hh.app)).gatewayId;
    await pairActive(hh.app, mine, partner, 'MONITOR_AND_CONTROL');
    await pairActive(hh.app, errorsOnly, partner, 'ERROR_NOTIFICATIONS');
    await pairActive(hh.app, theirs, other, 'MONITOR_AND_CONTROL');
  });
  afterEach(() => hh.close());

  const gatewaySays = (gatewayId: string, ...messages: Array<Record<string, unknown>>) =>
    expectCall(hh.app, 'POST', '/v1/ingest', ingest, messages.map((m) => ({ gatewayId, ...m })), 202);
  const list = (who: Partner, query = '') => hh.app.inject({ method: 'GET', url: `/v1/events${query}`, headers: who.headers });
  async function page(who: Partner, query = ''): Promise<Page> {
    const res = await list(who, query);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }
  /** Every page from the start, `limit` at a time. */
  async function allPages(who: Partner, filters = '', limit = 7): Promise<{ events: Envelope[]; pages: number }> {
    const events: Envelope[] = [];
    let after: string | null = null;
    for (let pages = 1; ; pages++) {
      const p: Page = await page(who, `?limit=${limit}${filters}${after ? `&after=${after}` : ''}`);
      events.push(...p.data);
      after = p.nextCursor;
      if (!p.hasMore) return { events, pages };
    }
  }
  /** Power readings swinging past the threshold (100 W and 10 %) each time: one DATA_POINT per value. */
  const readings = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({ kind: 'datapoint', key: POWER, value: from + i + (i % 2) * 10_000, unit: 'W' }));

  it("lists only the caller's own fan-out, oldest first, as the v2 envelope without sequence", async () => {
    await gatewaySays(mine, { kind: 'connection', status: 'CONNECTED' }, ...readings(1000, 2));
    await gatewaySays(errorsOnly, { kind: 'connection', status: 'CONNECTED' }, ...readings(1000, 2)); // no DATA_POINT consent
    await gatewaySays(theirs, { kind: 'connection', status: 'CONNECTED' }, ...readings(1000, 2));

    const { data } = await page(partner);
    expect(data.map((e) => [e.type, e.gatewayId])).toEqual([
      ['CONTRACT_STATUS', mine],
      ['CONTRACT_STATUS', errorsOnly],
      ['CONNECTIVITY_STATUS', mine],
      ['DATA_POINT', mine],
      ['DATA_POINT', mine],
      ['CONNECTIVITY_STATUS', errorsOnly],
    ]);
    for (const event of data) expect(Object.keys(event).sort()).toEqual(['data', 'gatewayId', 'id', 'occurredAt', 'timestamp', 'type']);
    expect(data[3].data).toEqual({ key: POWER, value: 1000, unit: 'W' });
    const stored = await hh.rt.store.get<{ created_at: number }>('SELECT created_at FROM events WHERE id = ?', [data[3].id]);
    expect(data[3].timestamp).toBe(new Date(stored!.created_at).toISOString());

    const theirsSeen = (await page(other)).data;
    expect(theirsSeen.every((e) => e.gatewayId === theirs)).toBe(true);
    expect(theirsSeen.map((e) => e.id)).not.toContain(data[3].id);
  });

  it("renders fault descriptions in the caller's languages, as its webhooks get them", async () => {
    await gatewaySays(mine, { kind: 'fault', displayCode: 'A11', causeCode: 3061, severity: 'ERROR', active: true });
    hh.clock.advance(2 * 60_000);
    await reportPendingFaults(hh.rt);
    const [fault] = (await page(partner, '?type=APPLIANCE_STATUS')).data;
    expect(fault.data).toMatchObject({ status: 'ACTIVE', displayCode: 'A11', descriptions: { de: expect.any(String) } });
    expect(Object.keys(fault.data.descriptions as object)).toEqual(['de']);
  });

  it('pages across several pages with the cursor without gaps or repeats, and the last cursor picks up later events', async () => {
    await gatewaySays(mine, ...readings(1000, 10));
    await gatewaySays(errorsOnly, { kind: 'connection', status: 'CONNECTED' });
    await gatewaySays(mine, ...readings(20_000, 10));
    const everything = (await page(partner, '?limit=1000')).data;
    expect(everything).toHaveLength(2 + 1 + 20 + 1); // contracts, mine ONLINE, readings, errorsOnly ONLINE
    const { events, pages } = await allPages(partner);
    expect(pages).toBe(4);
    expect(events.map((e) => e.id)).toEqual(everything.map((e) => e.id));

    const end = await page(partner, '?limit=1000');
    expect(end.hasMore).toBe(false);
    const idle = await page(partner, `?after=${end.nextCursor}`);
    expect(idle).toEqual({ data: [], nextCursor: end.nextCursor, hasMore: false });
    await gatewaySays(mine, { kind: 'connection', status: 'DISCONNECTED' });
    const later = await page(partner, `?after=${end.nextCursor}`);
    expect(later.data.map((e) => e.type)).toEqual(['CONNECTIVITY_STATUS']);
  });

  it('filters by gatewayId and type, also across pages', async () => {
    await gatewaySays(mine, { kind: 'connection', status: 'CONNECTED' }, ...readings(1000, 9));
    await gatewaySays(errorsOnly, { kind: 'connection', status: 'CONNECTED' });
    await gatewaySays(mine, ...readings(50_000, 9));

    const points = await allPages(partner, `&gatewayId=${mine}&type=DATA_POINT`, 4);
    expect(points.events).toHaveLength(18);
    const unfiltered = (await page(partner, '?limit=1000')).data;
    expect(points.events).toEqual(unfiltered.filter((e) => e.type === 'DATA_POINT' && e.gatewayId === mine));

    const other = (await page(partner, `?gatewayId=${errorsOnly}`)).data;
    expect(other.map((e) => e.type)).toEqual(['CONTRACT_STATUS', 'CONNECTIVITY_STATUS']);
    expect((await page(partner, `?gatewayId=${theirs}`)).data).toEqual([]);
  });

  it('refuses a bad cursor, type or limit with a 400 naming the query field', async () => {
    const cases: Array<[string, string]> = [
      ['?after=not-a-cursor', '/querystring/after'],
      [`?after=${Buffer.from('1.2.3').toString('base64url')}`, '/querystring/after'],
      ['?type=FAULT', '/querystring/type'],
      ['?limit=0', '/querystring/limit'],
      ['?limit=1001', '/querystring/limit'],
      ['?limit=ten', '/querystring/limit'],
      ['?gatewayId=abc', '/querystring/gatewayId'],
    ];
    for (const [query, field] of cases) {
      const res = await list(partner, query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors.map((e: { field: string }) => e.field), query).toContain(field);
    }
    expect((await hh.app.inject({ method: 'GET', url: '/v1/events' })).statusCode).toBe(401);
  });

  it('gives out cursors it can read back, and nothing else', () => {
    const cursor = { txOrder: 8123, id: 42 };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor('')).toBeUndefined();
    expect(decodeCursor(`${encodeCursor(cursor)}x`)).toBeUndefined();
  });

  // Only PostgreSQL runs two writers at once; on SQLite they are serialised and ids are commit order.
  it.runIf(testPostgresUrl())('does not skip an event whose transaction commits after a later one', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const begun = new Promise<void>((resolve) => (started = resolve));
    const slow = hh.rt.store.transaction(async (tx) => {
      await fanOut(tx, hh.clock.now(), [{ type: 'DATA_POINT', gatewayId: mine, data: { key: 'slow', value: 1 } }]);
      started();
      await held;
    });
    await begun;
    await gatewaySays(mine, ...readings(1000, 1)); // commits first, though its row came second
    const before = await page(partner, '?limit=1000');
    expect(before.data.map((e) => e.type)).toEqual(['CONTRACT_STATUS', 'CONTRACT_STATUS']);
    release();
    await slow;
    const after = await page(partner, `?after=${before.nextCursor}`);
    expect(after.data.map((e) => e.data.key ?? e.type)).toEqual(['slow', 'CONNECTIVITY_STATUS', POWER]);
  });
});
