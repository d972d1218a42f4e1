import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/config.js';
import type { Runtime } from '../runtime.js';
import type { JoinedRuntime } from './createRuntime.js';
import { type ObservedBatch, replayObserved } from './observerRelay.js';

/** The worker's entry, built beside this file (`dist/server/deliveryWorker.js`). */
const SCRIPT = new URL('./deliveryWorker.js', import.meta.url);

/** Cells of the status buffer the worker keeps current, read by readiness and metrics. */
export const STATUS = { running: 0, inFlight: 1, openCircuits: 2 } as const;

export interface DeliveryWorkerData {
  config: Config;
  joining: JoinedRuntime;
  /** Int32 cells, indexed by STATUS. */
  status: SharedArrayBuffer;
  /** Whether the main thread logs to a terminal (pretty lines) or not (JSON lines). */
  terminal: boolean;
}

/** Main thread → worker. */
export type ToDeliveryWorker = { wake: true } | { stop: number };

/** Worker → main thread: started, or what its observer heard (observerRelay.ts). */
export type FromDeliveryWorker = { ready: true } | { observed: ObservedBatch };

/**
 * The dispatcher of a `hearthook serve` on a SQLite file, run on a worker thread with its own
 * connection (joined to the main thread's write lock), so that delivery (claim, render, sign,
 * POST, outcomes) and ingest (HTTP, rules, fan-out) use a core each. One serve process did both
 * on one core, ~100 µs of CPU per delivery (BENCHMARKS.md).
 *
 * What crosses the thread boundary: new-work wake-ups (the main store's `onWork` → the worker's),
 * the worker's observer events (replayed into the main thread's observer, where /metrics and the
 * failure log listen), and the dispatcher's state (shared cells, for /ready and the gauges).
 * Logs are written by the worker's own pino to the same stdout. A worker that fails or exits
 * unasked is reported to `onFailure` (serve logs it as fatal and exits non-zero).
 */
export class DeliveryThread {
  private readonly worker: Worker;
  private readonly status: Int32Array;
  private readonly exited: Promise<void>;
  private stopping = false;
  private unsubscribe: (() => void) | undefined;

  /** False when running from TypeScript sources (tests under vitest): no built script to run. */
  static available(): boolean {
    return SCRIPT.protocol === 'file:' && existsSync(fileURLToPath(SCRIPT));
  }

  private constructor(
    private readonly rt: Runtime,
    joining: JoinedRuntime,
    onFailure: (err: Error) => void,
  ) {
    const status = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
    this.status = new Int32Array(status);
    const workerData: DeliveryWorkerData = { config: rt.config, joining, status, terminal: process.stdout.isTTY === true };
    this.worker = new Worker(SCRIPT, { workerData, name: 'hearthook-delivery' });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('error', (err) => {
      if (!this.stopping) onFailure(err);
    });
    this.worker.on('exit', (code) => {
      if (!this.stopping) onFailure(new Error(`the delivery thread exited unasked (code ${code})`));
    });
    this.worker.on('message', (message: FromDeliveryWorker) => this.receive(message));
  }

  /** Starts the thread; resolves once its dispatcher runs, rejects if it could not start. */
  static async start(rt: Runtime, joining: JoinedRuntime, onFailure: (err: Error) => void): Promise<DeliveryThread> {
    let starting = true;
    let failStart: (err: Error) => void = () => {};
    const failed = new Promise<never>((_, reject) => (failStart = reject));
    const thread = new DeliveryThread(rt, joining, (err) => (starting ? failStart(err) : onFailure(err)));
    const ready = new Promise<void>((resolve) => {
      const listener = (message: FromDeliveryWorker) => {
        if (!('ready' in message)) return;
        thread.worker.off('message', listener);
        resolve();
      };
      thread.worker.on('message', listener);
    });
    try {
      await Promise.race([ready, failed]);
    } catch (err) {
      thread.stopping = true;
      await thread.worker.terminate();
      throw err;
    }
    starting = false;
    thread.unsubscribe = rt.store.onWork(() => thread.post({ wake: true }));
    return thread;
  }

  /** Started, not stopping, and its dispatcher's loop alive (readiness). */
  get running(): boolean {
    return !this.stopping && Atomics.load(this.status, STATUS.running) === 1;
  }

  /** Deliveries claimed and not yet recorded (metrics; as of the worker's last report). */
  get inFlightCount(): number {
    return Atomics.load(this.status, STATUS.inFlight);
  }

  /** Endpoints whose circuit is open (metrics; as of the worker's last report). */
  get openCircuits(): number {
    return Atomics.load(this.status, STATUS.openCircuits);
  }

  /**
   * Stops the dispatcher (Dispatcher.stop: requests in flight get `graceMs`, the rest go back
   * untried) and resolves once the thread has closed its connection and exited.
   */
  async stop(graceMs = this.rt.config.deliveryTimeoutMs + 2000): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.unsubscribe?.();
      this.post({ stop: graceMs });
    }
    await this.exited;
  }

  private post(message: ToDeliveryWorker): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromDeliveryWorker): void {
    if ('observed' in message) replayObserved(message.observed, this.rt.observer);
  }
}
