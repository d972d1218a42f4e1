/**
 * When the next attempt of a delivery is due, or null when it is dead.
 *
 * `schedule[n]` is the wait before attempt n+1 (schedule[0] before the first, normally 0), so a
 * delivery gets `schedule.length` attempts. Jitter adds up to 10% and never fires early. A
 * `Retry-After` the endpoint sent (429, 503) replaces the step, capped at the longest step.
 *
 * @example nextAttemptAt([0, 5000, 300000], 1, now) // now + 5 s … 5.5 s
 */
export function nextAttemptAt(
  schedule: readonly number[],
  attemptsSoFar: number,
  now: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | null {
  if (attemptsSoFar >= schedule.length) return null;
  const delay = retryAfterMs === undefined ? schedule[attemptsSoFar] : Math.min(retryAfterMs, Math.max(...schedule));
  return now + delay + Math.floor(delay * 0.1 * random());
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
