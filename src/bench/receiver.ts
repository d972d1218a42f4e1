import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Counts, LatencySummary, ReceiverMode, ReceiverRequest } from './receiverProcess.js';

/**
 * The parent's handle on a receiver process (`receiverProcess.ts`): its endpoint URLs, its
 * request count (pushed every 20 ms, or asked for exactly with `counts()`), latencies and the
 * times it passed given counts.
 */
export class Receiver {
  /** Last pushed counts (at most ~20 ms old). */
  latest: Counts = { total: 0, perEndpoint: [], at: 0 };
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly urls: string[] = [],
  ) {
    child.on('message', (message: { id?: number; result?: unknown; error?: string; push?: Counts }) => {
      if (message.push) {
        this.latest = message.push;
        return;
      }
      const waiter = this.pending.get(message.id ?? 0);
      if (!waiter) return;
      this.pending.delete(message.id ?? 0);
      if (message.error) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
    child.on('exit', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('receiver process exited'));
      this.pending.clear();
    });
  }

  /** Starts a receiver process with `endpoints` ports; each URL gets the path `/hooks/<n>`. */
  static async start(endpoints: number, mode: ReceiverMode = 'ok'): Promise<Receiver> {
    const child = fork(fileURLToPath(new URL('./receiverProcess.js', import.meta.url)), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const receiver = new Receiver(child);
    const ports = (await receiver.call({ op: 'listen', endpoints, mode })) as number[];
    receiver.urls.push(...ports.map((port, i) => `http://127.0.0.1:${port}/hooks/${i}`));
    return receiver;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  counts(): Promise<Counts> {
    return this.call({ op: 'counts' }) as Promise<Counts>;
  }

  /** Latency (ms) of the requests that arrived in [since, until) (epoch ms). */
  latency(since: number, until?: number): Promise<LatencySummary> {
    return this.call({ op: 'latency', since, until }) as Promise<LatencySummary>;
  }

  /** Asks the receiver to note when its total first reaches each of `counts`. */
  async setMilestones(counts: number[]): Promise<void> {
    await this.call({ op: 'milestones', counts });
  }

  milestoneTimes(): Promise<number[]> {
    return this.call({ op: 'milestoneTimes' }) as Promise<number[]>;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.call({ op: 'close' }).catch(() => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  private call(request: ReceiverRequest): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, request });
    });
  }
}
