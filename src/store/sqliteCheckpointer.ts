import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker copies the WAL's new pages into the database file. */
const INTERVAL_MS = 500;

/**
 * The worker: its own connection to the same file, running a PASSIVE checkpoint (which never
 * blocks the writer) every INTERVAL_MS, and reporting how far it got. Kept as a string so that it
 * runs the same from `src/` (tests) and `dist/`.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: row.log, checkpointed: row.checkpointed });
  } catch (err) {
    parentPort.postMessage({ error: String(err) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface CheckpointProgress {
  /** Pages in the WAL. */
  log: number;
  /** Of those, pages already copied into the database file. */
  checkpointed: number;
}

/**
 * Checkpoints a WAL-mode SQLite file from a worker thread, so that the thread that commits
 * seldom has to. SQLite's automatic checkpoint runs inside a COMMIT: every 1,000 pages that
 * COMMIT copied 4 MB into the database file and waited for two fsyncs, on the core that runs
 * ingest and delivery; letting the WAL grow to 40 MB before copying took a quarter off an
 * ingest batch (a page rewritten by many commits is copied once), but made one commit in a few
 * hundred stall for tens of milliseconds (npm run bench: p99 latency 14 → 45 ms).
 *
 * The worker copies in the background. What it cannot do is rewind the WAL: SQLite does that at
 * the start of a write once every page is copied, which under steady writes never happens by
 * itself. So the store runs a RESTART checkpoint on its own connection when `onProgress` reports
 * a long WAL that the worker has just caught up with: only the pages committed since are left
 * to copy.
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopped = false;

  constructor(file: string, onProgress: (progress: CheckpointProgress) => void, onFailure: (err: Error) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, { eval: true, workerData: { file, driver, intervalMs: INTERVAL_MS } });
    // The worker must not keep a process alive that is otherwise done (e.g. `hearthook migrate`).
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    const fail = (err: Error) => {
      if (this.stopped) return;
      onFailure(err);
      void this.stop();
    };
    this.worker.on('error', fail);
    this.worker.on('message', (message: CheckpointProgress & { error?: string }) => {
      if (message.error !== undefined) fail(new Error(`SQLite checkpoint failed: ${message.error}`));
      else if (!this.stopped) onProgress(message);
    });
  }

  /**
   * Stops the worker; resolves once its connection is closed. The worker is ref'd again while we
   * wait: an unref'd worker is nothing the event loop waits for, so a process with nothing else
   * pending (a start-up that failed, `hearthook migrate`) exited with code 0 before this promise
   * resolved, and the error or the "up to date" line after it was never seen.
   */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.worker.ref();
      this.worker.postMessage('stop');
    }
    return this.exited;
  }
}
