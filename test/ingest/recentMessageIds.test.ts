import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MOVE_AFTER_IDS, moveRecentMessageIds, noteRecentIds } from '../../src/ingest/recentMessageIds.js';
import { forgetOldMessageIds } from '../../src/scheduler/jobs/forgetOldMessageIds.js';
import type { Db, Store } from '../../src/store/db.js';
import { openStore } from '../../src/store/openStore.js';
import { testPostgresUrl } from '../helpers/testDatabase.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { until } from '../helpers/until.js';
import { addGateway, count, send } from './fixtures.js';

const DAY = 86_400_000;

/** Which of the resend guard's two tables holds each of `ids` (or `none`). */
async function whereIs(hh: TestHearthook, ...ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    const recent = await hh.rt.store.get('SELECT 1 AS x FROM message_ids_recent WHERE message_id = ?', [id]);
    const kept = await hh.rt.store.get('SELECT 1 AS x FROM message_ids_kept WHERE message_id = ?', [id]);
    out.push(recent && kept ? 'both' : recent ? 'recent' : kept ? 'kept' : 'none');
  }
  return out;
}

describe('the resend guard in two tables (recent ids moved into the kept ones in bulk)', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook({ retentionMs: 30 * DAY });
    await addGateway(hh.rt);
  });
  afterEach(() => hh.close());

  it('refuses a resend whose first copy was moved to the kept table, alone and beside recent and new ids', async () => {
    await send(hh, { kind: 'heartbeat', messageId: 'a' }, { kind: 'heartbeat', messageId: 'b' });
    expect(await whereIs(hh, 'a', 'b')).toEqual(['recent', 'recent']);

    expect(await moveRecentMessageIds(hh.rt.store)).toBe(2);
    expect(await whereIs(hh, 'a', 'b')).toEqual(['kept', 'kept']);
    hh.clock.advance(60_000);

    expect(await send(hh, { kind: 'heartbeat', messageId: 'a' })).toMatchObject({ accepted: 0, duplicates: 1 });
    await send(hh, { kind: 'heartbeat', messageId: 'c' });
    expect(await send(hh, { kind: 'heartbeat', messageId: 'b' }, { kind: 'heartbeat', messageId: 'c' }, { kind: 'heartbeat', messageId: 'd' })).toMatchObject({
      accepted: 1,
      duplicates: 2,
    });
    expect(await whereIs(hh, 'a', 'b', 'c', 'd')).toEqual(['kept', 'kept', 'recent', 'recent']);
    expect(await count(hh.rt, 'ingested_messages')).toBe(4);
  });

  it('moves the recent ids once a process has taken in MOVE_AFTER_IDS of them, and not before', async () => {
    await send(hh, { kind: 'heartbeat', messageId: 'a' });
    await noteRecentIds(hh.rt.store, pino({ level: 'silent' }), MOVE_AFTER_IDS - 2); // with 'a': one short
    expect(await whereIs(hh, 'a')).toEqual(['recent']);

    await send(hh, { kind: 'heartbeat', messageId: 'b' });
    expect(await whereIs(hh, 'a', 'b')).toEqual(['kept', 'kept']);
    expect(await send(hh, { kind: 'heartbeat', messageId: 'b' })).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('acknowledges the batch whose count triggers a move that fails; its ids stay recent and still refuse resends', async () => {
    await noteRecentIds(hh.rt.store, pino({ level: 'silent' }), MOVE_AFTER_IDS - 1); // the next id triggers a move
    const transaction = hh.rt.store.transaction.bind(hh.rt.store);
    vi.spyOn(hh.rt.store, 'transaction')
      .mockImplementationOnce(transaction) // the batch's own transaction
      .mockRejectedValueOnce(new Error('injected: the move fails'));
    expect(await send(hh, { kind: 'heartbeat', messageId: 'a' })).toMatchObject({ accepted: 1 });
    expect(await whereIs(hh, 'a')).toEqual(['recent']);
    expect(await send(hh, { kind: 'heartbeat', messageId: 'a' })).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('takes in an id once when copies arrive at once while the recent ids are being moved (several connections on PostgreSQL)', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}`;
      const outcomes = await Promise.all([
        send(hh, { kind: 'heartbeat', messageId: id }),
        moveRecentMessageIds(hh.rt.store),
        send(hh, { kind: 'heartbeat', messageId: id }),
        moveRecentMessageIds(hh.rt.store),
        send(hh, { kind: 'heartbeat', messageId: id }),
      ]);
      const sends = [outcomes[0], outcomes[2], outcomes[4]] as Array<{ accepted: number; duplicates: number }>;
      expect(sends.map((r) => r.accepted).reduce((a, b) => a + b)).toBe(1);
      expect(sends.map((r) => r.duplicates).reduce((a, b) => a + b)).toBe(2);
      expect(await whereIs(hh, id)).not.toEqual(['both']);
    }
    expect(await count(hh.rt, 'ingested_messages')).toBe(5);
  });

  it.runIf(testPostgresUrl())(
    'on PostgreSQL, refuses a resend whose batch checks the kept ids while a move of its first copy is committing',
    async () => {
      await send(hh, { kind: 'heartbeat', messageId: 'x' });
      // A move on another node, paused after its two statements, before its commit.
      const other = await openStore(hh.rt.config.database);
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      let moved!: () => void;
      const isMoved = new Promise<void>((r) => {
        moved = r;
      });
      const pausing: Store = Object.create(other, {
        transaction: {
          value: <T>(fn: (tx: Db) => Promise<T>) =>
            other.transaction((tx) =>
              fn(
                Object.create(tx, {
                  run: {
                    value: async (sql: string, params?: readonly unknown[]) => {
                      const changed = await tx.run(sql, params);
                      if (sql.startsWith('DELETE FROM message_ids_recent')) {
                        moved();
                        await released;
                      }
                      return changed;
                    },
                  },
                }),
              ),
            ),
        },
      });
      try {
        const moving = moveRecentMessageIds(pausing);
        await isMoved;
        const resend = send(hh, { kind: 'heartbeat', messageId: 'x' });
        await until(async () => {
          const waiting = await hh.rt.store.get<{ n: number }>(
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND (position('FROM gateways' in query) > 0 OR position('message_ids_recent' in query) > 0)",
          );
          return Number(waiting?.n) > 0;
        }, 'the resend to wait for the move');
        release();
        expect(await moving).toBe(1);
        expect(await resend).toMatchObject({ accepted: 0, duplicates: 1 });
        expect(await whereIs(hh, 'x')).toEqual(['kept']);
      } finally {
        release();
        await other.close();
      }
    },
  );

  it('forgets ids past the retention from both tables, and only those', async () => {
    await send(hh, { kind: 'heartbeat', messageId: 'old-kept' });
    await moveRecentMessageIds(hh.rt.store);
    await send(hh, { kind: 'heartbeat', messageId: 'old-recent' });
    hh.clock.advance(29 * DAY);
    await send(hh, { kind: 'heartbeat', messageId: 'new-kept' });
    await moveRecentMessageIds(hh.rt.store);
    await send(hh, { kind: 'heartbeat', messageId: 'new-recent' });
    hh.clock.advance(2 * DAY);

    expect(await forgetOldMessageIds(hh.rt)).toBe(2);
    expect(await whereIs(hh, 'old-kept', 'old-recent', 'new-kept', 'new-recent')).toEqual(['none', 'none', 'kept', 'recent']);
    expect(await send(hh, { kind: 'heartbeat', messageId: 'new-kept' }, { kind: 'heartbeat', messageId: 'new-recent' })).toMatchObject({
      accepted: 0,
      duplicates: 2,
    });
    expect(await send(hh, { kind: 'heartbeat', messageId: 'old-kept' }, { kind: 'heartbeat', messageId: 'old-recent' })).toMatchObject({
      accepted: 2,
      duplicates: 0,
    });
  });
});
