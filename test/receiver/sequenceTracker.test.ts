/**
 * The SequenceTracker hands `apply` each event once, in sequence order, whatever order and how
 * many times the events arrive; holds an event behind a gap until the gap fills or the time
 * limit passes; fills a gap from `fillGap`; and keeps all of it across a restart in SQLite.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Gap, SequenceTracker, SqliteSequenceStore } from '../../src/receiver/index.js';

interface E {
  id: string;
  gatewayId: string;
  sequence: number;
}

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 13;
const event = (sequence: number, gatewayId = 'g1'): E => ({ id: `evt_${gatewayId}_${sequence}`, gatewayId, sequence });

describe('SequenceTracker', () => {
  it('applies every event exactly once in sequence order, whatever the arrival order and duplicates (property)', async () => {
    const arrivals = fc
      .integer({ min: 1, max: 30 })
      .chain((n) =>
        fc.tuple(
          fc.constant(n),
          fc.shuffledSubarray([...Array(n).keys()].map((i) => i + 1), { minLength: n, maxLength: n }),
          fc.array(fc.integer({ min: 1, max: n }), { maxLength: 10 }),
          fc.array(fc.nat(), { maxLength: 10 }),
        ),
      );
    await fc.assert(
      fc.asyncProperty(arrivals, async ([n, order, dupes, positions]) => {
        const sequence = [...order];
        for (const [i, d] of dupes.entries()) sequence.splice((positions[i] ?? 0) % (sequence.length + 1), 0, d);
        const tracker = new SequenceTracker<E>();
        const applied: number[] = [];
        for (const s of sequence) await tracker.receive('wh1', event(s), (e) => void applied.push(e.sequence));
        expect(applied).toEqual([...Array(n).keys()].map((i) => i + 1));
      }),
      { seed, numRuns: 200 },
    );
  });

  it('says how each arrival was taken, keeps (webhook, gateway) streams apart, and applies test events at once', async () => {
    const tracker = new SequenceTracker<E>();
    const applied: string[] = [];
    const take = (webhook: string, e: E) => tracker.receive(webhook, e, (x) => void applied.push(`${webhook}:${x.id}`));
    expect(await take('wh1', event(1))).toBe('in-order');
    expect(await take('wh1', event(3))).toBe('held');
    expect(await take('wh1', event(3))).toBe('duplicate');
    expect(await take('wh1', event(1, 'g2'))).toBe('in-order');
    expect(await take('wh2', event(1))).toBe('in-order');
    expect(await take('wh1', event(2))).toBe('in-order');
    expect(await take('wh1', event(1))).toBe('duplicate');
    expect(await take('wh1', { id: 'evt_test', gatewayId: '000000000', sequence: 0 })).toBe('unsequenced');
    expect(applied).toEqual(['wh1:evt_g1_1', 'wh1:evt_g2_1', 'wh2:evt_g1_1', 'wh1:evt_g1_2', 'wh1:evt_g1_3', 'wh1:evt_test']);
  });

  it('after the time limit fills the gap from fillGap, in order, before the held events', async () => {
    let now = 1_000;
    const asked: Gap[] = [];
    const tracker = new SequenceTracker<E>({
      holdForMs: 5_000,
      now: () => now,
      fillGap: async (gap) => {
        asked.push(gap);
        return [{ id: 'evt_g1_2', gatewayId: 'g1' }, { id: 'evt_g1_3', gatewayId: 'g1' }] as E[];
      },
    });
    const applied: string[] = [];
    const apply = (e: E) => void applied.push(`${e.id}#${e.sequence}`);
    await tracker.receive('wh1', event(1), apply);
    await tracker.receive('wh1', event(4), apply);
    await tracker.receive('wh1', event(5), apply);
    now += 4_999;
    await tracker.releaseExpired(apply);
    expect(applied).toEqual(['evt_g1_1#1']);
    now += 1;
    await tracker.releaseExpired(apply);
    expect(asked).toEqual([{ webhookId: 'wh1', gatewayId: 'g1', afterId: 'evt_g1_1', beforeId: 'evt_g1_4', from: 2, to: 3 }]);
    expect(applied).toEqual(['evt_g1_1#1', 'evt_g1_2#2', 'evt_g1_3#3', 'evt_g1_4#4', 'evt_g1_5#5']);
  });

  it('gives up an unfillable gap after the time limit, reports it, and applies a straggler of it once, late', async () => {
    let now = 0;
    const gaps: Gap[] = [];
    const tracker = new SequenceTracker<E>({ holdForMs: 1_000, now: () => now, onGap: (g) => gaps.push(g) });
    const applied: number[] = [];
    const apply = (e: E) => void applied.push(e.sequence);
    await tracker.receive('wh1', event(1), apply);
    await tracker.receive('wh1', event(4), apply);
    now = 1_000;
    await tracker.releaseExpired(apply);
    expect(gaps.map((g) => [g.from, g.to])).toEqual([[2, 3]]);
    expect(await tracker.receive('wh1', event(3), apply)).toBe('late');
    expect(await tracker.receive('wh1', event(3), apply)).toBe('duplicate');
    expect(await tracker.receive('wh1', event(5), apply)).toBe('in-order');
    expect(applied).toEqual([1, 4, 3, 5]);
  });

  it('keeps held events, position and gaps in SQLite across a restart, and re-applies an event whose apply failed', async () => {
    const db = new Database(':memory:');
    const applied: number[] = [];
    const apply = (e: E) => void applied.push(e.sequence);
    const first = new SequenceTracker<E>({ store: new SqliteSequenceStore(db), holdForMs: 1_000, now: () => 0 });
    await first.receive('wh1', event(1), apply);
    await first.receive('wh1', event(3), apply);
    // The process dies while applying 2: its state never moved past 1.
    await expect(first.receive('wh1', event(2), () => Promise.reject(new Error('crash')))).rejects.toThrow('crash');

    const second = new SequenceTracker<E>({ store: new SqliteSequenceStore(db), holdForMs: 1_000, now: () => 0 });
    expect(await second.receive('wh1', event(1), apply)).toBe('duplicate');
    expect(await second.receive('wh1', event(2), apply)).toBe('in-order');
    expect(applied).toEqual([1, 2, 3]);
    expect((await second.state('wh1', 'g1'))?.next).toBe(4);
    db.close();
  });
});
