/** The two cells of the shared buffer: the next ticket to hand out, and the ticket now served. */
const NEXT = 0;
const SERVING = 1;

/** `Atomics.waitAsync` (Node 16+), not yet in TypeScript's ES2022 library. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(cells: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/**
 * A write lock shared by the threads of one process that write to one SQLite file, each on its
 * own connection (ingest on the main thread, delivery on a worker thread). SQLite lets one
 * connection write at a time and makes the others wait in its busy handler, which sleeps and
 * retries (1, 2, 5, 10… ms): a commit that could start at once waits milliseconds, and under
 * load the sleeps are most of the wait. Here a writer waits on the shared memory instead, with
 * `Atomics.waitAsync`, so neither event loop blocks, and is woken by the release itself.
 *
 * A ticket lock: writers are served in the order they asked, so a busy ingest thread cannot
 * starve the dispatcher's claims and outcomes (or the reverse). The buffer is what crosses to
 * the other thread (`new ThreadWriteLock(buffer)` there).
 *
 * @example
 * const lock = new ThreadWriteLock();            // main thread
 * new Worker(file, { workerData: { lock: lock.buffer } });
 * await lock.acquire(); try { write(); } finally { lock.release(); }
 */
export class ThreadWriteLock {
  private readonly cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) {
    this.cells = new Int32Array(buffer);
  }

  /** Resolves once this caller holds the lock. Every acquire must be followed by one release. */
  async acquire(): Promise<void> {
    // Both cells wrap around at 2^31 together, so comparing them for equality stays right.
    const ticket = Atomics.add(this.cells, NEXT, 1);
    for (;;) {
      const serving = Atomics.load(this.cells, SERVING);
      if (serving === ticket) return;
      const wait = waitAsync(this.cells, SERVING, serving);
      if (wait.async) await wait.value;
    }
  }

  /** Hands the lock to the next ticket, waking the threads that wait for it. */
  release(): void {
    Atomics.add(this.cells, SERVING, 1);
    Atomics.notify(this.cells, SERVING);
  }
}
