import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEASE_EXPIRED } from '../../src/delivery/queue/reclaimExpiredLeases.js';
import { FaultWorld, SCHEDULE, STEPS, type Step } from './faultWorld.js';

/**
 * The queue's invariants (DESIGN.md) as one property, on the engine the suite runs on (SQLite
 * :memory:, or PostgreSQL with HEARTHOOK_TEST_DATABASE): two dispatchers over one real store,
 * driven through random interleavings of passes and faults at every step, then a recovery
 * with no more faults. Afterwards every accepted event is delivered or dead, no delivery used
 * more attempts than the schedule, no endpoint slot is held, the companies untouched by the
 * faults got everything, and no outcome was written by a claim that had lost its delivery.
 *
 * FUZZ_SEED varies the seed (CI sets a random one); a failure prints it with the shrunk case.
 */
type Command =
  | { kind: 'pass' | 'settle' | 'pause' | 'resume' | 'expire'; node: number }
  | { kind: 'fault' | 'crash'; node: number; step: Step }
  | { kind: 'takeover'; node: number; stalledAt: 'post' | 'loadTargets' }
  | { kind: 'endpoint'; fails: boolean }
  | { kind: 'advance'; ms: number };

const node = fc.integer({ min: 0, max: 1 });
const step = fc.constantFrom(...STEPS);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('pass' as const), node }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('settle' as const), node }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('fault' as const), node, step }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node, step }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('takeover' as const), node, stalledAt: fc.constantFrom('post' as const, 'loadTargets' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('endpoint' as const), fails: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
);

async function apply(world: FaultWorld, cmd: Command): Promise<void> {
  if (cmd.kind === 'endpoint') {
    world.victimFails = cmd.fails;
    return;
  }
  if (cmd.kind === 'advance') {
    world.hh.clock.advance(cmd.ms);
    return;
  }
  const n = world.nodes[cmd.node];
  switch (cmd.kind) {
    case 'pass':
      return n.run(() => n.dispatcher.tick());
    case 'settle':
      return n.run(async () => {
        await n.dispatcher.tick();
        if (!n.paused) await n.dispatcher.idle();
      });
    case 'fault':
      n.armed.add(cmd.step);
      return;
    case 'pause':
      n.pause();
      return;
    case 'resume':
      n.resume();
      return;
    case 'takeover':
      return takeOver(world, cmd.node, cmd.stalledAt);
    case 'crash':
      n.crashAt = cmd.step;
      return;
    case 'expire':
      return world.expireLeases(n); // a paused node's claims are taken over; it may come back later
  }
}

/**
 * A paused node comes back: it claims, stalls (in its POSTs, or with outcomes not written yet), its leases run out and are reclaimed, the other node claims the same deliveries,
 * and the first one resumes and writes while the other's outcomes are still on their way.
 */
async function takeOver(world: FaultWorld, slot: number, stalledAt: 'post' | 'loadTargets'): Promise<void> {
  const stalled = world.nodes[slot];
  const other = world.nodes[1 - slot];
  if (stalledAt === 'post') stalled.pause();
  else stalled.armed.add(stalledAt);
  await stalled.run(() => stalled.dispatcher.tick());
  await world.expireLeases(stalled);
  await other.run(() => other.dispatcher.tick());
  stalled.resume();
  await stalled.run(async () => {
    await stalled.dispatcher.tick();
    await stalled.dispatcher.idle();
  });
}

/** No faults any more: crashed nodes are replaced, paused ones come back, orphaned leases expire. */
async function recover(world: FaultWorld): Promise<void> {
  world.victimFails = false;
  for (const [slot, n] of world.nodes.entries()) {
    n.armed.clear();
    n.resume();
    if (n.crashed || n.crashAt) {
      n.crashAt = undefined;
      if (!n.crashed) continue;
      world.newNode(slot);
    }
  }
  const { store } = world.hh.rt;
  for (let round = 0; round < 40; round++) {
    for (const n of world.nodes) {
      await n.run(async () => {
        while ((await n.dispatcher.tick()) > 0);
        await n.dispatcher.idle();
      });
    }
    // The live nodes are idle: they hold nothing, and what a crashed one held is reclaimed.
    const leased = await store.all<{ id: number; claim_token: string }>("SELECT id, claim_token FROM deliveries WHERE status = 'delivering'");
    for (const n of world.nodes) expect(leased.filter((r) => n.tokens.has(r.claim_token)), 'rows an idle node still holds').toEqual([]);
    for (const n of world.allNodes) if (n.crashed) await world.expireLeases(n);
    const open = await store.get<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries WHERE status NOT IN ('delivered', 'dead')");
    if (open?.n === 0) return;
    world.hh.clock.advance(Math.max(...SCHEDULE) * 1.1 + 2000); // past the next step, its jitter and any open circuit
  }
}

async function check(world: FaultWorld): Promise<void> {
  const { store } = world.hh.rt;
  const rows = await store.all<{ id: number; event_id: string; webhook_id: string; status: string; attempts: number; last_error: string | null }>(
    'SELECT id, event_id, webhook_id, status, attempts, last_error FROM deliveries ORDER BY id',
  );
  expect(rows.length).toBeGreaterThan(0);
  // Every accepted event is delivered or dead, within the schedule's attempts.
  for (const row of rows) {
    expect(['delivered', 'dead'], `delivery ${row.id}`).toContain(row.status);
    expect(row.attempts, `attempts of delivery ${row.id}`).toBeLessThanOrEqual(SCHEDULE.length);
  }
  // Each claim made at most one attempt record, and each counted attempt has exactly one: a
  // former holder's late outcome would add a record (or give back an attempt) the claim no longer had.
  const perClaim = await store.all<{ delivery_id: number; claim_token: string; n: number }>(
    'SELECT delivery_id, claim_token, COUNT(*) AS n FROM delivery_attempts GROUP BY delivery_id, claim_token HAVING COUNT(*) > 1',
  );
  expect(perClaim).toEqual([]);
  const logged = await store.all<{ delivery_id: number; n: number }>('SELECT delivery_id, COUNT(*) AS n FROM delivery_attempts GROUP BY delivery_id');
  const records = new Map(logged.map((r) => [r.delivery_id, Number(r.n)]));
  for (const row of rows) expect(records.get(row.id) ?? 0, `attempt records of delivery ${row.id}`).toBe(row.attempts);
  // Only claims the reclaim job took back had their outcomes refused.
  expect(world.wronglyRefused).toEqual([]);
  // No endpoint slot is held by a live node once it is idle.
  for (const n of world.nodes) expect(n.dispatcher.health.slotsInUse()).toBe(0);
  // The undecryptable webhook's deliveries are dead, each attempt with a readable reason (or
  // lost with a crashed or stalled node: those can use up all of a delivery's attempts before
  // any pass reaches the decryption), and once one was tried the webhook is flagged for operators.
  let decryptionTried = false;
  for (const row of rows.filter((r) => r.webhook_id === world.broken.webhookId)) {
    expect(row.status).toBe('dead');
    const errors = await store.all<{ error: string }>('SELECT error FROM delivery_attempts WHERE delivery_id = ?', [row.id]);
    for (const { error } of errors) expect(error).toMatch(/^(configuration error: the webhook's stored secrets cannot be decrypted|lease expired: the worker was lost)/);
    if (errors.some((e) => e.error !== LEASE_EXPIRED)) decryptionTried = true;
  }
  const flagged = await store.get<{ broken_at: number | null }>('SELECT broken_at FROM webhooks WHERE id = ?', [world.broken.webhookId]);
  if (decryptionTried) expect(flagged?.broken_at).not.toBeNull();
  // The companies untouched by the faults got every event, unless lost workers (crashed or
  // stalled nodes) used up every one of a delivery's attempts.
  for (const company of world.companies.slice(2)) {
    for (const row of rows.filter((r) => r.webhook_id === company.webhookId)) {
      const errors = await store.all<{ error: string | null }>('SELECT error FROM delivery_attempts WHERE delivery_id = ?', [row.id]);
      if (row.status === 'dead' && errors.every((e) => e.error === LEASE_EXPIRED)) continue;
      expect(row.status, `delivery ${row.id} of an unaffected webhook`).toBe('delivered');
      const arrived = world.receiver.received.some((r) => r.headers['webhook-id'] === row.event_id && r.headers['x-api-key'] === company.apiKey);
      expect(arrived).toBe(true);
    }
  }
}

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261111;

describe('the dispatcher under faults injected at every step', () => {
  it('delivers or dead-letters every event within the schedule, leaks no slot, and lets no former claim holder write', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.array(command, { minLength: 10, maxLength: 40, size: 'max' }), async (events, commands) => {
        const world = new FaultWorld();
        try {
          await world.start(events);
          for (const cmd of commands) await apply(world, cmd);
          await recover(world);
          await check(world);
        } finally {
          await world.close();
        }
      }),
      { seed, numRuns: Number(process.env.FUZZ_RUNS ?? 25) },
    );
  }, 480_000);
});
