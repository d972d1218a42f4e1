import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasDueWork } from '../../src/delivery/queue/hasDueWork.js';
import type { Db } from '../../src/store/db.js';
import { seedPartner } from '../helpers/seed.js';
import { testPostgresUrl } from '../helpers/testDatabase.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of a JSON plan. */
function scansOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(scansOf)];
}

describe('hasDueWork: a due delivery outside the blocked webhooks', () => {
  let hh: TestHearthook;
  let a: string;
  let b: string;
  let gatewayId: string;
  let sequence = 0;

  beforeEach(async () => {
    hh = await startTestHearthook();
    const first = await seedPartner(hh.rt, { url: 'https://a.example/hook' });
    const second = await seedPartner(hh.rt, { url: 'https://b.example/hook', gatewayId: first.gatewayId });
    ({ gatewayId, webhookId: a } = first);
    b = second.webhookId;
    sequence = 0;
  });
  afterEach(() => hh.close());

  /** One event and one delivery of `webhookId`: queued for `nextAttemptAt`, or delivered (null). */
  async function delivery(webhookId: string, nextAttemptAt: number | null): Promise<void> {
    const now = hh.clock.now();
    const eventId = `evt_due${String(++sequence).padStart(8, '0')}`;
    await hh.rt.store.run(
      "INSERT INTO events (id, type, gateway_id, data, occurred_at, created_at) VALUES (?, 'CONNECTIVITY_STATUS', ?, '{}', NULL, ?)",
      [eventId, gatewayId, now],
    );
    await hh.rt.store.run(
      `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [eventId, webhookId, gatewayId, sequence, nextAttemptAt === null ? 'delivered' : 'pending', nextAttemptAt === null ? 1 : 0, nextAttemptAt, now, now],
    );
  }

  it('answers from the earliest queued delivery of each webhook it may use', async () => {
    const now = hh.clock.now();
    expect(await hasDueWork(hh.rt.store, now, [])).toBe(false);
    await delivery(a, now + 60_000); // queued, not yet due
    for (let i = 0; i < 5; i++) await delivery(b, null); // delivered: not work
    expect(await hasDueWork(hh.rt.store, now, [])).toBe(false);

    await delivery(b, now - 1);
    expect(await hasDueWork(hh.rt.store, now, [])).toBe(true);
    expect(await hasDueWork(hh.rt.store, now, [b])).toBe(false);
    expect(await hasDueWork(hh.rt.store, now, [a])).toBe(true);
    expect(await hasDueWork(hh.rt.store, now + 60_000, [b])).toBe(true);

    await hh.rt.store.run('UPDATE webhooks SET enabled = 0 WHERE id = ?', [b]);
    expect(await hasDueWork(hh.rt.store, now, [a])).toBe(false);
  });

  it.runIf(testPostgresUrl() !== undefined)('on PostgreSQL, reads the due index, not the delivered rows before the first due one, whatever the statistics say', async () => {
    const now = hh.clock.now();
    // A drained backlog as the planner last saw it: 5,000 rows, all due when analysed, now delivered.
    await hh.rt.store.run(
      `INSERT INTO events (id, type, gateway_id, data, occurred_at, created_at)
       SELECT 'evt_bulk' || lpad(i::text, 8, '0'), 'CONNECTIVITY_STATUS', ?, '{}', NULL, ? FROM generate_series(1, 5000) AS i`,
      [gatewayId, now],
    );
    await hh.rt.store.run(
      `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT id, ?, gateway_id, 1000 + substr(id, 9)::int, 'pending', 0, ?, ?, ? FROM events WHERE id LIKE 'evt_bulk%'`,
      [a, now - 10_000, now, now],
    );
    await hh.rt.store.run('ANALYZE deliveries');
    await hh.rt.store.run("UPDATE deliveries SET status = 'delivered', attempts = 1, next_attempt_at = NULL WHERE webhook_id = ?", [a]);
    await delivery(a, now - 1);

    // The probe's own statement, explained with its own parameters.
    let probe: { sql: string; params: readonly unknown[] } | undefined;
    const recording = {
      ...hh.rt.store,
      dialect: hh.rt.store.dialect,
      get: (sql: string, params: readonly unknown[]) => {
        probe = { sql, params };
        return hh.rt.store.get(sql, params);
      },
    } as unknown as Db;
    expect(await hasDueWork(recording, now, [b])).toBe(true);
    if (!probe) throw new Error('hasDueWork ran no statement');
    // Every read of deliveries is the due index (the old EXISTS read the table, or its (webhook_id, id)
    // index, row by row past the 5,000 delivered ones). Buffer counts would say the same but also
    // count dead index entries that a busy server's VACUUM may not yet remove.
    const expectDueIndex = async () => {
      const explained = await hh.rt.store.get<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${probe?.sql}`, probe?.params);
      if (!explained) throw new Error('EXPLAIN returned nothing');
      const reads = scansOf(explained['QUERY PLAN'][0].Plan).filter((n) => n['Relation Name'] === 'deliveries');
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) expect(read['Index Name']).toBe('deliveries_webhook_due');
    };
    await expectDueIndex();

    // And with fresh statistics while the skipped webhook holds the 5,000 earliest due rows (a dead
    // endpoint's queue): walking the due rows in time order would read all of them first.
    await hh.rt.store.run(
      `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT id, ?, gateway_id, 1000 + substr(id, 9)::int, 'pending', 0, ?, ?, ? FROM events WHERE id LIKE 'evt_bulk%'`,
      [b, now - 20_000, now, now],
    );
    await hh.rt.store.run('ANALYZE deliveries');
    expect(await hasDueWork(recording, now, [b])).toBe(true);
    await expectDueIndex();
  });
});
