import type { Db } from '../store/db.js';

/**
 * Takes or renews the lease row of a scheduler job: one statement that succeeds only when the
 * row is free, expired, or already ours. Whoever holds it runs the job; if that process dies,
 * the lease runs out and another takes over. Returns when the job last ran (from any process),
 * or undefined when another process holds the lease.
 */
export async function acquireJobLease(
  db: Db,
  job: string,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<{ lastRunAt: number | null } | undefined> {
  const row = await db.get<{ owner: string; last_run_at: number | null }>(
    `INSERT INTO job_leases (job, owner, lease_until) VALUES (?, ?, ?)
     ON CONFLICT (job) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
      WHERE job_leases.lease_until < ? OR job_leases.owner = excluded.owner
     RETURNING owner, last_run_at`,
    [job, owner, now + leaseMs, now],
  );
  return row?.owner === owner ? { lastRunAt: row.last_run_at } : undefined;
}

/** Notes that the job ran, so whichever process holds the lease next keeps the rhythm. */
export function markJobRun(db: Db, job: string, now: number): Promise<number> {
  return db.run('UPDATE job_leases SET last_run_at = ? WHERE job = ?', [now, job]);
}
