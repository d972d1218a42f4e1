import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import { loadMigrations } from '../../src/store/migrate.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/openStore.js';
import { createGateway, createPartner, createWebhook, expectCall, pairActive, type Partner, type Webhook } from '../api/fixtures.js';
import { Receiver } from '../helpers/receiver.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';
import { ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { until } from '../helpers/until.js';

interface DeliveryJson {
  id: string;
  gatewayId: string;
  sequence: number;
  status: string;
  waitingFor: string | null;
}

/**
 * Migration 022: only deliveries that wait in a line (`ordered` = 1) are in the line's index
 * (deliveries_unfinished_sequence), so a NONE webhook's deliveries cost ingest no entry in it;
 * every unfinished delivery of a GATEWAY webhook must still be there, or a later one of its
 * gateway would not see it and go first.
 */
describe('the ordering index holds only the deliveries that wait in a line', () => {
  let hh: TestHearthook;
  let receiver: Receiver;
  let partner: Partner;
  let webhook: Webhook;
  let gateways: string[];
  const dispatchers: Dispatcher[] = [];

  beforeEach(async () => {
    hh = await startTestHearthook({ retrySchedule: [0, 60_000] });
    receiver = await new Receiver().start();
    partner = await createPartner(hh.app, { autoAccept: true });
    webhook = await createWebhook(hh.app, partner.apiKey, { url: receiver.url, eventTypes: ['CONNECTIVITY_STATUS'] });
    gateways = [];
    for (let i = 0; i < 2; i++) {
      const gw = await createGateway(hh.app);
      await pairActive(hh.app, gw.gatewayId, partner);
      gateways.push(gw.gatewayId);
    }
    changes = 0;
  });
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop(0);
    await receiver.stop();
    await hh.close();
  });

  let changes = 0;
  /** `rounds` connectivity changes of every gateway, each message its own request. */
  async function emit(rounds: number): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      const status = changes++ % 2 ? 'CONNECTED' : 'DISCONNECTED';
      for (const gatewayId of gateways) await expectCall(hh.app, 'POST', '/v1/ingest', ingest, [{ kind: 'connection', gatewayId, status }], 202);
    }
  }

  /** Each delivery's [gateway index, sequence, status, ordered], in line order. */
  async function rows(): Promise<Array<[number, number, string, number]>> {
    const all = await hh.rt.store.all<{ gateway_id: string; sequence: number; status: string; ordered: number }>(
      'SELECT gateway_id, sequence, status, ordered FROM deliveries WHERE webhook_id = ?',
      [webhook.id],
    );
    return all
      .map((r): [number, number, string, number] => [gateways.indexOf(r.gateway_id), Number(r.sequence), r.status, Number(r.ordered)])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  async function deliveries(): Promise<DeliveryJson[]> {
    const page = await expectCall<{ data: DeliveryJson[] }>(hh.app, 'GET', `/v1/webhooks/${webhook.id}/deliveries`, partner.headers, undefined, 200);
    return page.data;
  }
  const find = (list: DeliveryJson[], g: number, sequence: number) => list.find((d) => d.gatewayId === gateways[g] && d.sequence === sequence) as DeliveryJson;

  async function setOrdering(ordering: 'NONE' | 'GATEWAY'): Promise<void> {
    await expectCall(hh.app, 'PATCH', `/v1/webhooks/${webhook.id}`, partner.headers, { ordering }, 200);
  }

  /**
   * Whether another connection's statement containing `statement` waits for a lock now
   * (PostgreSQL): how the tests below see that one transaction holds another up, without sleeping.
   */
  async function waitsForLock(statement: string): Promise<boolean> {
    const row = await hh.rt.store.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND position(? in query) > 0",
      [statement],
    );
    return Number(row?.n) > 0;
  }

  /**
   * A transaction on `store` (another node) that locks the webhook's queued rows, as a dispatcher
   * recording outcomes does, runs `meanwhile` and commits once `release` is called.
   */
  async function holdQueuedRows(store: Db, meanwhile: (tx: Db) => Promise<void> = async () => {}) {
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const done = store.transaction(async (tx) => {
      await tx.all(`SELECT id FROM deliveries WHERE webhook_id = ? ${tx.dialect.lockRows}`, [webhook.id]);
      locked();
      await meanwhile(tx);
      await released;
    });
    await Promise.race([isLocked, done]);
    return { release, done };
  }

  async function round(dispatcher: Dispatcher): Promise<void> {
    await dispatcher.tick();
    await dispatcher.idle();
  }

  it.runIf(testPostgresUrl())(
    'on PostgreSQL, a switch to GATEWAY on another node and a fan-out under way wait for each other, so no delivery is left out of its line',
    async () => {
      const other = await openStore(hh.rt.config.database);
      const flagsOf = async (sequences: number[]) => (await rows()).filter((r) => sequences.includes(r[1])).map((r) => r[3]);
      const fanOutOne = (tx: Parameters<typeof fanOut>[0]) =>
        fanOut(tx, hh.clock.now(), [{ type: 'CONNECTIVITY_STATUS', gatewayId: gateways[0], data: { connectivityStatus: 'DISCONNECTED' } }], hh.rt.recipients);
      let commit: () => void = () => {};
      try {
        // A fan-out that read the webhook as NONE has not committed when the switch comes: the switch waits, then lines its row up.
        let fanned!: () => void;
        const written = new Promise<void>((r) => {
          fanned = r;
        });
        const fanning = hh.rt.store.transaction(async (tx) => {
          await fanOutOne(tx);
          fanned();
          await new Promise<void>((r) => {
            commit = r;
          });
        });
        await written;
        let switchDone = false;
        const switching = other.run("UPDATE webhooks SET ordering = 'GATEWAY' WHERE id = ?", [webhook.id]).then(() => {
          switchDone = true;
        });
        await until(() => waitsForLock("SET ordering = 'GATEWAY'"), 'the switch to wait for the fan-out under way');
        expect(switchDone).toBe(false);
        commit();
        await fanning;
        await switching;
        expect(await flagsOf([1])).toEqual([1]);

        // Back to NONE, the cache warmed with it; a switch has not committed when a fan-out comes:
        // the fan-out waits, then reads the new ordering and writes its row in line.
        await other.run("UPDATE webhooks SET ordering = 'NONE' WHERE id = ?", [webhook.id]);
        await hh.rt.store.transaction(fanOutOne);
        expect(await flagsOf([2])).toEqual([0]);
        let switched!: () => void;
        const updated = new Promise<void>((r) => {
          switched = r;
        });
        const switch2 = other.transaction(async (tx) => {
          await tx.run("UPDATE webhooks SET ordering = 'GATEWAY' WHERE id = ?", [webhook.id]);
          switched();
          await new Promise<void>((r) => {
            commit = r;
          });
        });
        await updated;
        let fanOutDone = false;
        const fanning2 = hh.rt.store.transaction(fanOutOne).then(() => {
          fanOutDone = true;
        });
        await until(() => waitsForLock('recipients_version_locked'), 'the fan-out to wait for the switch under way');
        expect(fanOutDone).toBe(false);
        commit();
        await switch2;
        await fanning2;
        expect(await flagsOf([2, 3])).toEqual([1, 1]);
      } finally {
        commit();
        await other.close();
      }
    },
  );

  it.runIf(testPostgresUrl())(
    'on PostgreSQL, a switch held up lining up its queue and a contract change fanning out meanwhile do not deadlock',
    async () => {
      await emit(1);
      const locker = await openStore(hh.rt.config.database);
      const switcher = await openStore(hh.rt.config.database);
      let release: () => void = () => {};
      try {
        // Another transaction holds one of the queued rows: the switch waits for it in its line-up, its locks held.
        const holding = await holdQueuedRows(locker);
        release = holding.release;
        const switching = switcher.run("UPDATE webhooks SET ordering = 'GATEWAY' WHERE id = ?", [webhook.id]);
        await until(() => waitsForLock("SET ordering = 'GATEWAY'"), 'the switch to wait for the locked queued row');
        // A contract change bumps recipients_version, then its event's fan-out takes the ordering lock.
        const contract = hh.rt.store.transaction(async (tx) => {
          await tx.run('UPDATE contracts SET status = status WHERE gateway_id = ? AND company_id = ?', [gateways[1], partner.companyId]);
          const data = { previousStatus: 'ACTIVE', status: 'ACTIVE', companyId: partner.companyId };
          await fanOut(tx, hh.clock.now(), [{ type: 'CONTRACT_STATUS', gatewayId: gateways[1], forCompany: partner.companyId, data }], hh.rt.recipients);
        });
        await until(() => waitsForLock('UPDATE contracts SET status = status'), 'the contract change to wait for the switch');
        release();
        await holding.done;
        await switching;
        await contract;
        expect((await rows()).map((r) => r[3])).toEqual([1, 1]);
      } finally {
        release();
        await locker.close();
        await switcher.close();
      }
    },
  );

  it.runIf(testPostgresUrl())(
    'on PostgreSQL, a switch that PostgreSQL aborts to break a deadlock with a health write of the same webhook is tried again: the PATCH answers 200',
    async () => {
      await emit(1);
      const dispatcherLike = await openStore(hh.rt.config.database);
      let release: () => void = () => {};
      let healthWritten = false;
      try {
        // As a dispatcher recording outcomes does: queued rows first, then the webhook's health.
        const recording = await holdQueuedRows(dispatcherLike, async (tx) => {
          await until(() => waitsForLock('UPDATE webhooks SET ordering ='), 'the switch to wait for the queued rows');
          // The switch holds the webhook's row and waits for the queued rows: a deadlock, which
          // PostgreSQL breaks by aborting the switch, the first of the two to wait.
          await tx.run('UPDATE webhooks SET failing_since = ? WHERE id = ?', [hh.clock.now(), webhook.id]);
          healthWritten = true;
        });
        release = recording.release;
        const patch = hh.app.inject({ method: 'PATCH', url: `/v1/webhooks/${webhook.id}`, headers: partner.headers, payload: { ordering: 'GATEWAY' } });
        await until(() => healthWritten, 'the deadlock to be broken');
        release();
        await recording.done;
        const res = await patch;
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().ordering).toBe('GATEWAY');
        expect((await rows()).map((r) => r[3])).toEqual([1, 1]);
      } finally {
        release();
        await dispatcherLike.close();
      }
    },
  );

  it('is partial on ordered = 1', async () => {
    const sql =
      hh.rt.store.engine === 'postgres'
        ? "SELECT indexdef AS sql FROM pg_indexes WHERE indexname = 'deliveries_unfinished_sequence' AND schemaname = current_schema()"
        : "SELECT sql FROM sqlite_master WHERE name = 'deliveries_unfinished_sequence'";
    expect((await hh.rt.store.get<{ sql: string }>(sql))?.sql).toMatch(/ordered = 1/);
  });

  it("leaves a NONE webhook's queue out of it; a switch to GATEWAY lines the queue up, each gateway's later deliveries held behind its earliest", async () => {
    await emit(2);
    expect(await rows()).toEqual([
      [0, 1, 'pending', 0],
      [0, 2, 'pending', 0],
      [1, 1, 'pending', 0],
      [1, 2, 'pending', 0],
    ]);
    for (const d of await deliveries()) expect(d.waitingFor).toBeNull();

    await setOrdering('GATEWAY');
    expect((await rows()).map((r) => r[3])).toEqual([1, 1, 1, 1]);
    let list = await deliveries();
    expect(find(list, 0, 2).waitingFor).toBe(find(list, 0, 1).id);
    expect(find(list, 1, 2).waitingFor).toBe(find(list, 1, 1).id);

    // The first gateway's endpoint fails: its line stops at its first delivery; the other's goes in order.
    receiver.reply = (req) => (JSON.parse(req.body).gatewayId === gateways[0] ? { status: 500 } : { status: 200, body: 'ok' });
    const dispatcher = new Dispatcher(hh.rt);
    dispatchers.push(dispatcher);
    for (let i = 0; i < 3; i++) await round(dispatcher);
    expect(receiver.sequencesOf(gateways[0])).toEqual([1]);
    expect(receiver.sequencesOf(gateways[1])).toEqual([1, 2]);
    list = await deliveries();
    expect(find(list, 0, 2)).toMatchObject({ status: 'pending', waitingFor: find(list, 0, 1).id });
    // Fan-out after the switch writes the flag itself.
    await emit(1);
    expect((await rows()).filter((r) => r[1] === 3)).toEqual([
      [0, 3, 'pending', 1],
      [1, 3, 'pending', 1],
    ]);
  });

  it('a retry or a recovery of a delivery that died under NONE puts it back in its line, ahead of what came after it', async () => {
    // Under NONE each gateway's first delivery dies (two attempts); the second arrives.
    receiver.reply = (req) => (req.headers['webhook-sequence'] === '1' ? { status: 500 } : { status: 200, body: 'ok' });
    await emit(2);
    const dispatcher = new Dispatcher(hh.rt);
    dispatchers.push(dispatcher);
    await until(async () => {
      await round(dispatcher);
      hh.clock.advance(70_000);
      return (await rows()).filter((r) => r[2] === 'dead').length === 2;
    }, 'both first deliveries dead');
    await until(async () => {
      await round(dispatcher);
      return (await rows()).filter((r) => r[2] === 'delivered').length === 2;
    }, 'both second deliveries delivered');
    expect(await rows()).toEqual([
      [0, 1, 'dead', 0],
      [0, 2, 'delivered', 0],
      [1, 1, 'dead', 0],
      [1, 2, 'delivered', 0],
    ]);

    // The switch lines up only what is unfinished: the dead ones stay out.
    await setOrdering('GATEWAY');
    expect((await rows()).map((r) => r[3])).toEqual([0, 0, 0, 0]);
    await emit(1);
    let list = await deliveries();
    expect(find(list, 0, 3).waitingFor).toBeNull();

    // A retry of the first gateway's dead delivery, a recovery of the second's: each joins its line
    // and the third delivery waits for it.
    await expectCall(hh.app, 'POST', `/v1/deliveries/${find(list, 0, 1).id}/retry`, partner.headers, undefined, 202);
    await expectCall(hh.app, 'POST', `/v1/webhooks/${webhook.id}/recover`, partner.headers, { since: '2000-01-01T00:00:00Z' }, 200);
    expect((await rows()).filter((r) => r[1] !== 2)).toEqual([
      [0, 1, 'failed', 1],
      [0, 3, 'pending', 1],
      [1, 1, 'failed', 1],
      [1, 3, 'pending', 1],
    ]);
    list = await deliveries();
    expect(find(list, 0, 3).waitingFor).toBe(find(list, 0, 1).id);
    expect(find(list, 1, 3).waitingFor).toBe(find(list, 1, 1).id);

    receiver.reply = () => ({ status: 200, body: 'ok' });
    await until(async () => {
      await round(dispatcher);
      hh.clock.advance(70_000);
      return (await rows()).every((r) => r[2] === 'delivered');
    }, 'every delivery');
    for (const g of gateways) expect(receiver.sequencesOf(g).slice(-2)).toEqual([1, 3]);
  });
});

describe('migration 022 on a database with deliveries queued', () => {
  it("flags the unfinished deliveries of GATEWAY webhooks, and only those, so the line's index still holds every one that waits", async () => {
    const now = Date.now();
    const seed = [
      "INSERT INTO companies (id, name, languages, auto_accept, created_at) VALUES ('cmp_m', 'M', '[\"en\"]', 0, 1)",
      ...['wh_gateway:GATEWAY', 'wh_none:NONE'].map((w) => {
        const [id, ordering] = w.split(':');
        return `INSERT INTO webhooks (id, company_id, url, api_key_name, api_key_location, api_key_enc, secret_enc, event_types, enabled, api_version, ordering, created_at, updated_at)
                VALUES ('${id}', 'cmp_m', 'https://m.invalid/', 'x-api-key', 'HEADER', 'x', 'x', '[]', 1, 2, '${ordering}', 1, 1)`;
      }),
      ...['wh_gateway', 'wh_none'].flatMap((webhookId) =>
        [
          ['delivered', 'NULL'],
          ['dead', 'NULL'],
          ['failed', String(now + 60_000)],
          ['delivering', 'NULL'],
          ['pending', String(now)],
        ].map(
          ([status, next], i) =>
            `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
             VALUES ('evt_m', '${webhookId}', '100000001', ${i + 1}, '${status}', 1, ${next}, 1, 1)`,
        ),
      ),
    ];
    const upTo021 = (engine: string) => loadMigrations(engine).filter((m) => m.version < 22);
    const postgres = testPostgresUrl();
    let database: string;
    let cleanup: () => Promise<void>;
    if (postgres) {
      const schema = newTestSchema(postgres);
      const client = new pg.Client({ connectionString: postgres });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA ${schema.schema}`);
        await client.query(`SET search_path TO ${schema.schema}`);
        await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
        for (const m of upTo021('postgres')) {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 1)', [m.version, m.name]);
        }
        for (const statement of seed) await client.query(statement);
      } finally {
        await client.end();
      }
      database = schema.database;
      cleanup = () => dropTestSchema(postgres, schema.schema);
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'hearthook-022-'));
      database = join(dir, 'hearthook.db');
      const db = new Database(database);
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
      for (const m of upTo021('sqlite')) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 1)').run(m.version, m.name);
      }
      for (const statement of seed) db.exec(statement);
      db.close();
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
    try {
      const store = await openStore(database);
      try {
        const flagged = await store.all<{ webhook_id: string; status: string; ordered: number }>(
          'SELECT webhook_id, status, ordered FROM deliveries ORDER BY webhook_id, sequence',
        );
        expect(flagged.map((r) => [r.webhook_id, r.status, Number(r.ordered)])).toEqual([
          ['wh_gateway', 'delivered', 0],
          ['wh_gateway', 'dead', 0],
          ['wh_gateway', 'failed', 1],
          ['wh_gateway', 'delivering', 1],
          ['wh_gateway', 'pending', 1],
          ['wh_none', 'delivered', 0],
          ['wh_none', 'dead', 0],
          ['wh_none', 'failed', 0],
          ['wh_none', 'delivering', 0],
          ['wh_none', 'pending', 0],
        ]);
        // The switch of the NONE webhook lines up its queue, in flight and waiting alike.
        await store.run("UPDATE webhooks SET ordering = 'GATEWAY' WHERE id = 'wh_none'");
        const lined = await store.all<{ status: string; ordered: number }>("SELECT status, ordered FROM deliveries WHERE webhook_id = 'wh_none' ORDER BY sequence");
        expect(lined.map((r) => [r.status, Number(r.ordered)])).toEqual([
          ['delivered', 0],
          ['dead', 0],
          ['failed', 1],
          ['delivering', 1],
          ['pending', 1],
        ]);
      } finally {
        await store.close();
      }
    } finally {
      await cleanup();
    }
  });
});
