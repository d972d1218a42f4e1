/**
 * Wakes a sleeping loop early: `wait(ms)` resolves after `ms`, or as soon as `signal()` is
 * called. A signal sent while nobody waits is kept for the next wait, or outcomes and new work
 * that arrived during a pass would sleep until the poll (on PostgreSQL, where a pass awaits the
 * network, that was most of the time: npm run bench).
 *
 * @example const wake = new WakeSignal(); store.onWork(() => wake.signal()); await wake.wait(1000);
 */
export class WakeSignal {
  private readonly waiters = new Set<() => void>();
  private signalled = false;

  signal(): void {
    if (this.waiters.size === 0) this.signalled = true;
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }

  wait(ms: number): Promise<void> {
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      this.waiters.add(done);
    });
  }
}
