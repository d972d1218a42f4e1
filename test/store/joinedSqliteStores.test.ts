import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqliteStore.js';

const yieldToOthers = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Two connections to one file that share a write lock (the main thread's and the delivery
 * thread's, src/store/threadWriteLock.ts), here on one thread: without the lock the second
 * connection's BEGIN IMMEDIATE would wait in SQLite's busy handler, synchronously, for the first
 * one's transaction, which cannot end while this thread is blocked, and fail after the busy
 * timeout with "database is locked".
 */
describe('SQLite stores joined by a write lock', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hearthook-join-'));
    file = join(dir, 'hearthook.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('take turns writing, transactions and single statements alike, and lose nothing', async () => {
    const main = new SqliteStore(file);
    main.exec('CREATE TABLE log (id INTEGER PRIMARY KEY, writer TEXT NOT NULL, step INTEGER NOT NULL)');
    const joined = new SqliteStore(file, { join: main.writeLock.buffer });
    // Each transaction yields the event loop between its two inserts while it holds the write,
    // so the other connection's writes are attempted while it is open.
    const writes = async (store: SqliteStore, writer: string) => {
      for (let step = 0; step < 40; step++) {
        if (step % 4 === 3) {
          await store.run('INSERT INTO log (writer, step) VALUES (?, ?)', [writer, step]);
          continue;
        }
        await store.transaction(async (tx) => {
          await tx.run('INSERT INTO log (writer, step) VALUES (?, ?)', [writer, step]);
          await yieldToOthers();
          await tx.run('INSERT INTO log (writer, step) VALUES (?, ?)', [writer, -step]);
        });
      }
    };
    await Promise.all([writes(main, 'main'), writes(joined, 'joined'), writes(main, 'main2'), writes(joined, 'joined2')]);

    const rows = await joined.all<{ writer: string; step: number }>('SELECT writer, step FROM log ORDER BY id');
    expect(rows).toHaveLength(4 * (30 * 2 + 10));
    // A transaction's two rows are adjacent: no other write came between them.
    for (let i = 0; i < rows.length; i++) {
      if (rows[i].step > 0 && rows[i].step % 4 !== 3) expect(rows[i + 1]).toEqual({ writer: rows[i].writer, step: -rows[i].step });
    }
    // Both connections wrote while the other had writes waiting: the turns interleave.
    const switches = rows.filter((row, i) => i > 0 && row.writer.startsWith('main') !== rows[i - 1].writer.startsWith('main')).length;
    expect(switches).toBeGreaterThan(10);
    await joined.close();
    await main.close();
  });

  it('reads on one connection while the other holds a write open', async () => {
    const main = new SqliteStore(file);
    main.exec('CREATE TABLE items (id INTEGER PRIMARY KEY)');
    await main.run('INSERT INTO items (id) VALUES (1)');
    const joined = new SqliteStore(file, { join: main.writeLock.buffer });
    let seenDuringWrite: unknown;
    await main.transaction(async (tx) => {
      await tx.run('INSERT INTO items (id) VALUES (2)');
      seenDuringWrite = await joined.get('SELECT COUNT(*) AS n FROM items');
    });
    expect(seenDuringWrite).toEqual({ n: 1 });
    expect(await joined.get('SELECT COUNT(*) AS n FROM items')).toEqual({ n: 2 });
    await joined.close();
    await main.close();
  });
});
