/** PostgreSQL's code for a transaction it aborted to break a deadlock (SQLite has one writer: none). */
const DEADLOCK_DETECTED = '40P01';

/**
 * Runs a transaction again when PostgreSQL aborted it to break a deadlock, up to `attempts`
 * times: the other transaction went on, so the next try usually passes. Only for transactions
 * whose closure does nothing but database work (nothing outside is done twice).
 *
 * @example const row = await retryDeadlocked(() => rt.store.transaction((tx) => …));
 */
export async function retryDeadlocked<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= attempts || (err as { code?: unknown }).code !== DEADLOCK_DETECTED) throw err;
    }
  }
}
