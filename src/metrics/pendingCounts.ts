/**
 * Counts kept as plain numbers on the hot path and handed to prom-client when scraped: a
 * prom-client `inc()` with labels builds a label hash per call, and a histogram `observe()`
 * costs about 600 ns (measured here: 2,000,000 calls), where adding to a map entry costs a few.
 * Keys are bounded by what they name (event types, outcomes, webhooks that exist), and the map
 * is emptied at every scrape.
 *
 * @example
 * const byType = new PendingCounts();
 * byType.add('DATA_POINT', 1);
 * byType.drain((type, n) => eventsTotal.inc({ type }, n));
 */
export class PendingCounts {
  private counts = new Map<string, number>();

  add(key: string, n: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** Hands over what was counted since the last drain, and starts again from zero. */
  drain(fn: (key: string, n: number) => void): void {
    const counts = this.counts;
    this.counts = new Map();
    for (const [key, n] of counts) fn(key, n);
  }

  keys(): IterableIterator<string> {
    return this.counts.keys();
  }
}
