import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDeliveries } from '../../src/delivery/queue/claimDeliveries.js';
import type { Db, Store } from '../../src/store/db.js';
import { loadMigrations } from '../../src/store/migrate.js';
import { migratePostgres } from '../../src/store/migratePostgres.js';
import { PostgresStore, workChannel } from '../../src/store/postgresStore.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';
import { postgresEngine, type TestDatabase } from './engines.js';

const url = testPostgresUrl();
const NOW = Date.UTC(2026, 5, 1, 12);

async function queueDeliveries(db: Db, n: number): Promise<void> {
  const values = Array.from({ length: n }, (_, i) => `('evt_${i}', 'wh_${i % 7}', 'gw', ${i + 1}, 'pending', 0, ${NOW - n + i}, ${NOW}, ${NOW})`);
  await db.run(
    `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
     VALUES ${values.join(', ')}`,
  );
}

function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error('timed out'));
      else setTimeout(check, 10);
    };
    check();
  });
}

describe.skipIf(!url)('the PostgreSQL engine (skipped: set HEARTHOOK_TEST_DATABASE to run)', () => {
  let db: TestDatabase;
  let other: Store;
  beforeEach(async () => {
    db = await postgresEngine()!.open();
    other = await db.connect();
  });
  afterEach(async () => {
    await db.close();
  });

  it('keeps answering SELECT * and prepared statements on the same connections after another node adds a column', async () => {
    const store = db.store;
    await store.run("INSERT INTO settings (key, value) VALUES ('pgbatch', 'one')");
    const star = () => store.all<Record<string, unknown>>('SELECT * FROM settings WHERE key = ?', ['pgbatch']);
    const named = () => store.all<{ value: string }>('SELECT value FROM settings WHERE key = ?', ['pgbatch']);
    // Every pooled connection runs both a few times (PostgreSQL switches to a generic plan after five).
    for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 12 }, () => Promise.all([star(), named()])));
    await other.run('ALTER TABLE settings ADD COLUMN added_by_a_newer_node TEXT');
    for (let i = 0; i < 3; i++) {
      for (const rows of await Promise.all(Array.from({ length: 12 }, () => star()))) expect(rows[0]).toHaveProperty('added_by_a_newer_node', null);
      for (const rows of await Promise.all(Array.from({ length: 12 }, () => named()))) expect(rows).toEqual([{ value: 'one' }]);
    }
  });

  it('never hands one delivery to two claimers running at once on separate connections', async () => {
    await queueDeliveries(db.store, 600);
    const claimed: number[][] = [[], []];
    // Two "nodes", each with several claims in flight at once, until the queue is empty.
    const node = async (store: Store, into: number[]) => {
      for (;;) {
        const batches = await Promise.all([1, 2, 3].map(() => claimDeliveries(store, { token: `t${Math.random()}`, now: NOW, leaseMs: 60_000, limit: 25, scheduleLength: 10 })));
        const rows = batches.flat();
        if (rows.length === 0) return;
        into.push(...rows.map((r) => r.id));
      }
    };
    await Promise.all([node(db.store, claimed[0]), node(other, claimed[1])]);
    const all = [...claimed[0], ...claimed[1]];
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(600);
    expect(claimed[0].length).toBeGreaterThan(0);
    expect(claimed[1].length).toBeGreaterThan(0);
    const attempts = await db.store.all<{ attempts: number; n: number }>('SELECT attempts, COUNT(*) AS n FROM deliveries GROUP BY attempts');
    expect(attempts).toEqual([{ attempts: 1, n: 600 }]);
  });

  it('skips rows another transaction holds locked instead of waiting for them', async () => {
    await queueDeliveries(db.store, 20);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first: number[] = [];
    const holder = db.store.transaction(async (tx) => {
      first = (await claimDeliveries(tx, { token: 'first', now: NOW, leaseMs: 60_000, limit: 10, scheduleLength: 10 })).map((r) => r.id);
      await held; // keeps its 10 rows locked, uncommitted
    });
    await until(() => first.length === 10);
    const started = Date.now();
    const second = (await claimDeliveries(other, { token: 'second', now: NOW, leaseMs: 60_000, limit: 20, scheduleLength: 10 })).map((r) => r.id);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(second).toHaveLength(10);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    release();
    await holder;
  });

  it('wakes the dispatchers of other processes through NOTIFY, and again after the LISTEN connection was cut', async () => {
    let woken = 0;
    other.onWork(() => woken++);
    const listen = `LISTEN ${workChannel((other as PostgresStore).schema)}`;
    /** The server process of the LISTEN connection, once there is one other than `except`. */
    const listener = async (except?: number) => {
      for (let i = 0; i < 200; i++) {
        const row = await db.store.get<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE query = ? AND pid <> ?', [listen, except ?? 0]);
        if (row) return row.pid;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no LISTEN connection');
    };
    const listening = await listener();
    db.store.notifyWork();
    await until(() => woken >= 1);

    await db.store.get('SELECT pg_terminate_backend(?)', [listening]);
    await listener(listening); // reconnected
    const before = woken;
    await new Promise((r) => setTimeout(r, 60)); // past the notify throttle window
    db.store.notifyWork();
    await until(() => woken > before);
  });

  it('survives losing a connection mid-transaction: the transaction fails, the process lives, the next ones work', async () => {
    await expect(
      other.transaction(async (tx) => {
        await tx.run("INSERT INTO settings (key, value) VALUES ('lost', 'x')");
        const { pid } = (await tx.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!;
        await db.store.get('SELECT pg_terminate_backend(?)', [pid]); // the server "restarts" under it
        await new Promise((r) => setTimeout(r, 100));
        await tx.run("INSERT INTO settings (key, value) VALUES ('lost2', 'x')");
      }),
    ).rejects.toThrow();
    await other.transaction((tx) => tx.run("INSERT INTO settings (key, value) VALUES ('kept', 'x')"));
    expect(await other.all('SELECT key FROM settings')).toEqual([{ key: 'kept' }]);
  });

  it('sends at most one NOTIFY per 50 ms however often work is announced', async () => {
    let woken = 0;
    other.onWork(() => woken++);
    await new Promise((r) => setTimeout(r, 300)); // LISTEN is up
    for (let i = 0; i < 100; i++) db.store.notifyWork();
    await new Promise((r) => setTimeout(r, 300));
    expect(woken).toBeGreaterThanOrEqual(1);
    expect(woken).toBeLessThanOrEqual(2); // the first call, and one trailing NOTIFY for the rest
  });
});

describe.skipIf(!url)('PostgreSQL migrations (skipped: set HEARTHOOK_TEST_DATABASE to run)', () => {
  it('are applied once when several processes start at once (advisory lock)', async () => {
    const { schema } = newTestSchema(url!);
    const stores = [1, 2, 3, 4].map(() => new PostgresStore({ connectionString: url!, schema }));
    try {
      const applied = await Promise.all(stores.map((s) => migratePostgres(s)));
      const names = loadMigrations('postgres').map((m) => m.name);
      expect(applied.flat().sort()).toEqual(names);
      const rows = await stores[0].all<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.name)).toEqual(names);
    } finally {
      for (const s of stores) await s.close();
      await dropTestSchema(url!, schema);
    }
  });
});

describe('migrations', () => {
  it('come in pairs: every SQLite migration has a PostgreSQL twin of the same number and name', () => {
    const names = (engine: string) => loadMigrations(engine).map((m) => m.name);
    expect(names('postgres')).toEqual(names('sqlite'));
  });
});
