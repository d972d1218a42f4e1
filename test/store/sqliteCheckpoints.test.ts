import { mkdtempSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqliteStore.js';

/** The WAL header's checkpoint sequence number: it moves each time the WAL is rewound. */
function walSequence(file: string): number {
  const fd = openSync(`${file}-wal`, 'r');
  try {
    const header = Buffer.alloc(32);
    readSync(fd, header, 0, 32, 0);
    return header.readUInt32BE(12);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file database's checkpoints are copied by a worker thread and the WAL is rewound by the
 * store (src/store/sqliteCheckpointer.ts): writes far past the rewind mark must neither grow the
 * WAL without end nor lose anything.
 */
describe('SQLite checkpoints on a file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hearthook-wal-'));
    file = join(dir, 'hearthook.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rewinds the WAL under steady writes, and keeps every committed row', async () => {
    const store = new SqliteStore(file);
    store.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    const first = walSequence(file);
    // Commits of 512 KiB, until the WAL's header shows a rewind: SQLite writes the new header with
    // the first commit after it. The rewind is due past 40 MB and forced at 160 MB; 200 MB is
    // more than any wait for the worker's next report can add.
    let commits = 0;
    for (const end = Date.now() + 30_000; walSequence(file) === first && commits < 400 && Date.now() < end; commits++) {
      await store.transaction(async (tx) => {
        await tx.run('INSERT INTO blobs (data) VALUES (randomblob(?))', [512 * 1024]);
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(walSequence(file)).not.toBe(first);
    expect(commits).toBeGreaterThan(60); // not long before 40 MB
    expect(statSync(`${file}-wal`).size).toBeLessThanOrEqual(80 * 1024 * 1024);
    await store.close();

    const reopened = new SqliteStore(file);
    expect(await reopened.get('SELECT COUNT(*) AS n FROM blobs')).toEqual({ n: commits });
    await reopened.close();
  });
});
