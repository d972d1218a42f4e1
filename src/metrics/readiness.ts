import type { Runtime } from '../runtime.js';
import { loadMigrations } from '../store/migrate.js';

/** How long the database may take to answer a readiness check before it counts as unreachable. */
const DATABASE_CHECK_TIMEOUT_MS = 2_000;

/**
 * Why this process is not ready to serve, or nothing when it is: the database answers within
 * 2 s, every migration this build ships is applied, and every role started here (`api`,
 * `worker`, `scheduler`) still runs. `detail` carries the database error for the log only: a
 * readiness answer is public and must not show addresses or driver messages.
 *
 * @example
 * const { reasons } = await checkReadiness(rt, migrations); // [] when ready
 */
export async function checkReadiness(
  rt: Runtime,
  migrations: readonly { version: number; name: string }[],
): Promise<{ reasons: string[]; detail?: Error }> {
  const reasons: string[] = [];
  let detail: Error | undefined;
  try {
    const rows = await withTimeout(rt.store.all<{ version: number }>('SELECT version FROM schema_migrations'), DATABASE_CHECK_TIMEOUT_MS);
    const applied = new Set(rows.map((r) => Number(r.version)));
    const missing = migrations.filter((m) => !applied.has(m.version)).map((m) => m.name);
    if (missing.length > 0) reasons.push(`migrations not applied: ${missing.join(', ')}`);
  } catch (err) {
    reasons.push('database unreachable');
    detail = err as Error;
  }
  for (const [role, probe] of rt.observer.roles) if (!probe.running()) reasons.push(`role ${role} is not running`);
  return { reasons, detail };
}

/** The migrations this build ships for the store's engine. */
export const shippedMigrations = (rt: Runtime) => loadMigrations(rt.store.engine);

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
