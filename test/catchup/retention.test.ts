import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { Runtime } from '../../src/runtime.js';
import { jobList } from '../../src/scheduler/jobList.js';
import { deleteExpiredEvents } from '../../src/scheduler/jobs/deleteExpiredEvents.js';
import type { Db, Store } from '../../src/store/db.js';
import { createPartner, expectCall } from '../api/fixtures.js';
import { seedPartner } from '../helpers/seed.js';
import { ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

const DAY = 86_400_000;
const POWER = 'hvac.emon.compressor.powerCurrent';

describe('retention (delete-expired-events)', () => {
  let hh: TestHearthook;
  let gatewayId: string;
  let webhookId: string;
  let partnerKey: { 'x-api-key': string };

  beforeEach(async () => {
    hh = await startTestHearthook({ retentionMs: 30 * DAY });
    const seeded = await seedPartner(hh.rt, { url: 'https://partner.example/hook' });
    ({ gatewayId, webhookId } = seeded);
    // An API key for the seeded company, to look at catch-up.
    const key = await expectCall<{ apiKey: string }>(
      hh.app,
      'POST',
      `/v1/admin/companies/${seeded.companyId}/api-keys`,
      { authorization: 'Bearer hha_test-admin-token' },
      undefined,
      201,
    );
    partnerKey = { 'x-api-key': key.apiKey };
    // The gateway's first message also reports it ONLINE: set that event aside, so that each test
    // counts only the events it makes.
    await event();
    for (const table of ['delivery_attempts', 'deliveries', 'event_recipients', 'events']) await hh.rt.store.run(`DELETE FROM ${table}`);
  });
  afterEach(() => hh.close());

  /** One DATA_POINT event with one delivery to the seeded webhook; returns the event id. */
  let value = 0;
  async function event(): Promise<string> {
    value = value === 1000 ? 50_000 : 1000; // far past the power threshold each time
    const res = await hh.app.inject({
      method: 'POST',
      url: '/v1/ingest',
      headers: ingest,
      payload: [{ kind: 'datapoint', gatewayId, key: POWER, value }],
    });
    expect(res.statusCode, res.body).toBe(202);
    const row = await hh.rt.store.get<{ id: string }>('SELECT id FROM events ORDER BY created_at DESC, id DESC LIMIT 1');
    return row!.id;
  }

  /** Sets the status of the event's delivery and logs `attempts` attempts for it. */
  async function finish(eventId: string, status: string, attempts = 2): Promise<void> {
    await hh.rt.store.run('UPDATE deliveries SET status = ?, next_attempt_at = NULL WHERE event_id = ?', [status, eventId]);
    const d = await hh.rt.store.get<{ id: number }>('SELECT id FROM deliveries WHERE event_id = ?', [eventId]);
    for (let i = 0; i < attempts; i++) {
      await hh.rt.store.run(
        'INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, duration_ms) VALUES (?, ?, 200, 5)',
        [d!.id, hh.clock.now()],
      );
    }
  }

  const ids = async (table: string, column = 'event_id') =>
    (await hh.rt.store.all<{ v: string }>(`SELECT ${column} AS v FROM ${table} ORDER BY 1`)).map((r) => r.v);
  const attemptsOf = async (eventId: string) =>
    (
      await hh.rt.store.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = ?',
        [eventId],
      )
    )!.n;

  it('deletes exactly the expired events whose deliveries are over, with their recipients, deliveries and attempts, in bounded batches', async () => {
    const expired: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = await event();
      await finish(id, i % 2 ? 'dead' : 'delivered');
      expired.push(id);
    }
    // An expired event no webhook took: only its recipient row goes with it.
    await hh.rt.store.run('UPDATE webhooks SET enabled = 0 WHERE id = ?', [webhookId]);
    expired.push(await event());
    await hh.rt.store.run('UPDATE webhooks SET enabled = 1 WHERE id = ?', [webhookId]);
    const stuck: Record<string, string> = {};
    for (const status of ['pending', 'failed', 'delivering']) {
      stuck[status] = await event();
      await finish(stuck[status], status, 1);
      if (status !== 'pending') await hh.rt.store.run('UPDATE deliveries SET next_attempt_at = ? WHERE event_id = ?', [hh.clock.now(), stuck[status]]);
    }
    hh.clock.advance(30 * DAY - 1);
    const young = await event();
    await finish(young, 'delivered');
    hh.clock.advance(2);

    const statements: number[] = [];
    const deleted = await deleteExpiredEvents({ ...hh.rt, store: countingStore(hh.rt.store, statements) } as Runtime, 2);

    expect(deleted).toBe(expired.length);
    const kept = [...Object.values(stuck), young].sort();
    expect(await ids('events', 'id')).toEqual(kept);
    expect(await ids('event_recipients')).toEqual(kept);
    expect(await ids('deliveries')).toEqual(kept);
    for (const id of expired) expect(await attemptsOf(id)).toBe(0);
    for (const id of Object.values(stuck)) expect(await attemptsOf(id)).toBe(1);
    expect(await attemptsOf(young)).toBe(2);
    // Two events per batch: every DELETE touched at most two rows, so it took several transactions.
    expect(Math.max(...statements)).toBeLessThanOrEqual(2);
    expect(statements.filter((n) => n > 0).length).toBeGreaterThanOrEqual(9);
  });

  it('keeps a whole expired event while one of its deliveries is queued, and deletes it once that is over', async () => {
    const id = await event();
    // A second webhook of another company on the same gateway: one delivery delivered, one still failing.
    const other = await createPartner(hh.app);
    await hh.rt.store.run(
      "INSERT INTO contracts (gateway_id, company_id, status, consent, created_at, updated_at) VALUES (?, ?, 'ACTIVE', 'MONITOR_AND_CONTROL', 0, 0)",
      [gatewayId, other.companyId],
    );
    await hh.rt.store.run(
      `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, 'wh_other', ?, 1, 'failed', 3, ?, ?, ?)`,
      [id, gatewayId, hh.clock.now(), hh.clock.now(), hh.clock.now()],
    );
    await hh.rt.store.run("UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL WHERE webhook_id = ?", [webhookId]);
    hh.clock.advance(31 * DAY);

    expect(await deleteExpiredEvents(hh.rt)).toBe(0);
    expect(await ids('events', 'id')).toEqual([id]);
    expect(await ids('deliveries', 'status')).toEqual(['delivered', 'failed']);
    expect((await listEvents()).map((e) => e.id)).toEqual([id]);

    await hh.rt.store.run("UPDATE deliveries SET status = 'dead', next_attempt_at = NULL WHERE webhook_id = 'wh_other'");
    expect(await deleteExpiredEvents(hh.rt)).toBe(1);
    expect(await ids('events', 'id')).toEqual([]);
    expect(await ids('deliveries')).toEqual([]);
    expect(await listEvents()).toEqual([]);
  });

  it('runs every hour, and the retention comes from HEARTHOOK_RETENTION (default 30 days)', () => {
    expect(jobList(hh.rt.rules).find((j) => j.name === 'delete-expired-events')).toMatchObject({
      intervalMs: 3_600_000,
      run: deleteExpiredEvents,
    });
    expect(loadConfig({}).retentionMs).toBe(30 * DAY);
    expect(loadConfig({ HEARTHOOK_RETENTION: '7d' }).retentionMs).toBe(7 * DAY);
    expect(() => loadConfig({ HEARTHOOK_RETENTION: 'a month' })).toThrow(/HEARTHOOK_RETENTION/);
  });

  async function listEvents(): Promise<Array<{ id: string }>> {
    const res = await hh.app.inject({ method: 'GET', url: '/v1/events?type=DATA_POINT', headers: partnerKey });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data;
  }
});

/** The store, with the row count of every DELETE recorded. */
function countingStore(store: Store, counts: number[]): Store {
  const wrap = (db: Db): Db => ({
    dialect: db.dialect,
    all: async <T>(sql: string, params?: readonly unknown[]) => {
      const rows = await db.all<T>(sql, params);
      if (sql.trimStart().startsWith('DELETE')) counts.push(rows.length);
      return rows;
    },
    get: (sql, params) => db.get(sql, params),
    run: async (sql, params) => {
      const n = await db.run(sql, params);
      if (sql.trimStart().startsWith('DELETE')) counts.push(n);
      return n;
    },
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
  });
  return { ...store, ...wrap(store), engine: store.engine } as Store;
}
