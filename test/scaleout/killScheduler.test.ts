import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, INGEST_TOKEN, scaleoutSkipReason, waitFor } from './cluster.js';

const skip = scaleoutSkipReason();
const JOB = 'check-connectivity';
const SCHEDULER_LEASE_MS = 2000;
const CHECK_INTERVAL_MS = 2000;
const GATEWAY = '400000001';

interface Lease {
  owner: string;
  last_run_at: number | null;
}

describe.skipIf(skip)(`the scheduler on several nodes${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearthook-rules-'));
  const rulesFile = join(dir, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify({ connectivity: { offlineAfter: '3s', checkInterval: `${CHECK_INTERVAL_MS}ms` } }));
  const cluster = new Cluster({
    HEARTHOOK_SCHEDULER_LEASE: `${SCHEDULER_LEASE_MS}ms`,
    HEARTHOOK_RULES: rulesFile,
    HEARTHOOK_POLL_INTERVAL: '200ms',
  });

  beforeAll(async () => {
    await cluster.start(3);
    await cluster.store.run("INSERT INTO gateways (id, type, timezone, created_at) VALUES (?, 'K40', 'UTC', ?)", [GATEWAY, Date.now()]);
  }, 60_000);

  afterAll(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const lease = () => cluster.store.get<Lease>('SELECT owner, last_run_at FROM job_leases WHERE job = ?', [JOB]);
  /** Owners are `host:pid:random`. */
  const pidOf = (owner: string) => Number(owner.split(':')[1]);

  it('has another node run the next connectivity check when the node running the scheduler is killed', async () => {
    await waitFor(async () => (await lease())?.last_run_at != null, 20_000, `a first ${JOB} run`);
    const before = (await lease())!;
    const holder = cluster.nodes.find((n) => n.pid === pidOf(before.owner));
    expect(holder, `owner ${before.owner} is one of the nodes`).toBeDefined();

    cluster.kill(holder!);
    const killedAt = Date.now();
    // A gateway comes online just after, through a live node, then falls silent: only a check
    // run by a surviving node can report it OFFLINE.
    const res = await fetch(`${cluster.live()[0].url}/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'connection', gatewayId: GATEWAY, status: 'CONNECTED' }),
    });
    expect(res.status).toBe(202);

    await waitFor(
      async () => {
        const now = await lease();
        return now !== undefined && now.owner !== before.owner && (now.last_run_at ?? 0) > killedAt;
      },
      SCHEDULER_LEASE_MS + CHECK_INTERVAL_MS + 10_000,
      `another node to run ${JOB}`,
    );
    const after = (await lease())!;
    const takenOverBy = cluster.live().find((n) => n.pid === pidOf(after.owner));
    expect(takenOverBy, `new owner ${after.owner} is a live node`).toBeDefined();
    // Within the lease (it expires) plus one interval (the job's rhythm), plus a tick or two.
    expect(after.last_run_at! - killedAt).toBeLessThan(SCHEDULER_LEASE_MS + CHECK_INTERVAL_MS + 3000);

    await waitFor(
      async () => (await cluster.store.get<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE gateway_id = ? AND data LIKE '%OFFLINE%'", [GATEWAY]))!.n > 0,
      15_000,
      'the surviving scheduler to report the silent gateway OFFLINE',
    );
    const statuses = await cluster.store.all<{ data: string; created_at: number }>(
      "SELECT data, created_at FROM events WHERE gateway_id = ? AND type = 'CONNECTIVITY_STATUS' ORDER BY created_at",
      [GATEWAY],
    );
    expect(statuses.map((s) => JSON.parse(s.data).connectivityStatus)).toEqual(['ONLINE', 'OFFLINE']);
    expect(statuses[1].created_at).toBeGreaterThan(killedAt);
  }, 60_000);
});
