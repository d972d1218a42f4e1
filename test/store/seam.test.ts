import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { valuesList } from '../../src/store/valuesList.js';
import { type Engine, engines, type TestDatabase } from './engines.js';

describe.each(engines().map((e): [string, Engine] => [e.name, e]))('the store seam on %s', (_name, engine) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await engine.open();
  });
  afterEach(async () => {
    await db.close();
  });

  const count = async () => (await db.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM settings'))!.n;

  it('commits a transaction whose callback resolves, and returns its result', async () => {
    const result = await db.store.transaction(async (tx) => {
      await tx.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['a', '1']);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await count()).toBe(1);
  });

  it('rolls back everything a transaction wrote when its callback throws, and rethrows', async () => {
    await expect(
      db.store.transaction(async (tx) => {
        await tx.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['a', '1']);
        await tx.transaction(async (inner) => inner.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['b', '2']));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await count()).toBe(0);
    // The connection is usable afterwards.
    await db.store.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['c', '3']);
    expect(await count()).toBe(1);
  });

  it('rolls back a transaction whose statement fails, and keeps working', async () => {
    await db.store.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['a', '1']);
    await expect(
      db.store.transaction(async (tx) => {
        await tx.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['b', '2']);
        await tx.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['a', 'duplicate key']);
      }),
    ).rejects.toThrow();
    expect(await db.store.all('SELECT key FROM settings')).toEqual([{ key: 'a' }]);
  });

  it('runs a nested transaction inside the outer one: it sees the outer writes and shares their fate', async () => {
    await db.store.transaction(async (tx) => {
      await tx.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['a', '1']);
      const seen = await tx.transaction(async (inner) => inner.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', ['a']));
      expect(seen).toEqual({ value: '1' });
    });
    expect(await count()).toBe(1);
  });

  it('never shows a statement outside a transaction what the transaction has not committed', async () => {
    let outside: Promise<number> | undefined;
    await expect(
      db.store.transaction(async (tx) => {
        await tx.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['a', '1']);
        outside = count(); // SQLite: waits for the transaction; PostgreSQL: reads what is committed
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await outside).toBe(0);
  });

  it('loses no update when many transactions increment one row at once', async () => {
    await db.store.run("INSERT INTO job_leases (job, owner, lease_until, last_run_at) VALUES ('counter', 'test', 0, 0)");
    await Promise.all(
      Array.from({ length: 25 }, () =>
        db.store.transaction(async (tx) => {
          const row = await tx.get<{ n: number }>(`SELECT last_run_at AS n FROM job_leases WHERE job = 'counter' ${tx.dialect.lockRows}`);
          await new Promise((resolve) => setImmediate(resolve)); // let the others interleave
          await tx.run("UPDATE job_leases SET last_run_at = ? WHERE job = 'counter'", [row!.n + 1]);
        }),
      ),
    );
    const row = await db.store.get<{ n: number }>("SELECT last_run_at AS n FROM job_leases WHERE job = 'counter'");
    expect(row!.n).toBe(25);
  });

  it('returns integers (COUNT, BIGINT millisecond times) as numbers and stores booleans as 0/1', async () => {
    const t = Date.UTC(2026, 5, 1, 12, 30, 15, 123);
    await db.store.run(
      `INSERT INTO gateways (id, type, timezone, created_at, last_seen_at) VALUES (?, 'K30', 'UTC', ?, ?)`,
      ['101', t, undefined],
    );
    await db.store.run(
      "INSERT INTO companies (id, name, languages, auto_accept, created_at) VALUES ('cmp_1', 'A', '[]', ?, ?)",
      [true, t],
    );
    expect(await db.store.get('SELECT created_at, last_seen_at FROM gateways')).toEqual({ created_at: t, last_seen_at: null });
    expect(await db.store.get('SELECT auto_accept, COUNT(*) AS n, SUM(created_at) AS s FROM companies GROUP BY auto_accept')).toEqual({
      auto_accept: 1,
      n: 1,
      s: t,
    });
  });

  it('leaves a ? inside a string literal alone', async () => {
    await db.store.run("INSERT INTO settings (key, value) VALUES (?, 'what?')", ['q']);
    expect(await db.store.get("SELECT value FROM settings WHERE key = ? AND value <> '?'", ['q'])).toEqual({ value: 'what?' });
  });

  it('takes a JSON array parameter as a list of strings (dialect.jsonTextList)', async () => {
    for (const key of ['a', 'b', 'c']) await db.store.run('INSERT INTO settings (key, value) VALUES (?, ?)', [key, key]);
    const rows = await db.store.all<{ key: string }>(
      `SELECT key FROM settings WHERE key IN (${db.store.dialect.jsonTextList}) ORDER BY key`,
      [JSON.stringify(['a', 'c', 'zz'])],
    );
    expect(rows.map((r) => r.key)).toEqual(['a', 'c']);
  });

  it('wakes its own onWork listeners on notifyWork, and stops when unsubscribed', async () => {
    let woken = 0;
    const off = db.store.onWork(() => woken++);
    db.store.notifyWork();
    expect(woken).toBe(1);
    off();
    db.store.notifyWork();
    expect(woken).toBe(1);
  });
  it('keeps answering right through more distinct statements than its caches hold (evicted ones are prepared again)', async () => {
    await db.store.run(`INSERT INTO settings (key, value) VALUES ${valuesList('(?, ?)', 3)}`, ['a', '1', 'b', '2', 'c', '3']);
    // IN lists of 1..1,200 items: 1,200 texts, past the SQLite statement cache (500) and the
    // VALUES lists (1,000); the second round asks again for texts evicted in the first.
    const inList = (n: number) => `SELECT COUNT(*) AS n FROM settings WHERE key IN (${valuesList('?', n)})`;
    for (const round of [1, 2]) {
      for (let n = 1; n <= 1200; n += round) {
        const keys = Array.from({ length: n }, (_, i) => ['a', 'b', 'c', 'x'][i % 4]);
        const row = await db.store.get<{ n: number }>(inList(n), keys);
        expect(Number(row!.n)).toBe(Math.min(n, 3));
      }
    }
    expect(valuesList('(?, ?)', 2)).toBe('(?, ?), (?, ?)');
    if (engine.name === 'sqlite') {
      // The bound itself: prepared statements hold memory outside the heap.
      expect((db.store as unknown as { statements: { size: number } }).statements.size).toBeLessThanOrEqual(500);
    }
  });
});
