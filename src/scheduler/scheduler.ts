import { hostname } from 'node:os';
import type { Runtime } from '../runtime.js';
import { newId } from '../util/ids.js';
import { acquireJobLease, markJobRun } from './acquireJobLease.js';

/** A periodic job: one pass, returning how much it did (for the log). */
export interface Job {
  name: string;
  intervalMs: number;
  run(rt: Runtime): Promise<number>;
}

/**
 * Runs each job every `intervalMs` in exactly one process at a time, the holder of the job's
 * lease row (works alike on every engine). Every tick renews the leases it holds, so a dead
 * holder is replaced within `leaseMs`.
 */
export class Scheduler {
  readonly owner = `${hostname()}:${process.pid}:${newId('sch', 6)}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly jobs: readonly Job[],
    private readonly tickMs = 1000,
    private readonly leaseMs = 15_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.tick().finally(() => (this.running = undefined));
    }, this.tickMs);
  }

  /** Started and not stopped (readiness). */
  get started(): boolean {
    return this.timer !== undefined;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs every job that is due and whose lease this process holds. */
  async tick(): Promise<void> {
    for (const job of this.jobs) {
      const now = this.rt.clock.now();
      const lease = await acquireJobLease(this.rt.store, job.name, this.owner, now, this.leaseMs);
      if (!lease || (lease.lastRunAt !== null && now - lease.lastRunAt < job.intervalMs)) continue;
      await markJobRun(this.rt.store, job.name, now);
      try {
        const done = await job.run(this.rt);
        if (done > 0) this.rt.log.info({ job: job.name, done }, 'scheduler job ran');
      } catch (err) {
        this.rt.log.error({ err, job: job.name }, 'scheduler job failed');
      }
    }
  }
}
