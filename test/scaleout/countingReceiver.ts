import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A partner endpoint on loopback that answers 200 after `delayMs` (so deliveries are in flight
 * for a while) and records when each `webhook-id` arrived, and in what order with what sequence.
 */
export class CountingReceiver {
  /** webhook-id → arrival times (ms), one per request. */
  readonly arrivals = new Map<string, number[]>();
  /** Every request in arrival order: its webhook-id and webhook-sequence. */
  readonly order: Array<{ id: string; sequence: number }> = [];
  requests = 0;
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly delayMs: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const id = String(req.headers['webhook-id']);
        const times = this.arrivals.get(id) ?? [];
        times.push(Date.now());
        this.arrivals.set(id, times);
        this.order.push({ id, sequence: Number(req.headers['webhook-sequence']) });
        this.requests++;
        setTimeout(() => res.writeHead(200).end('ok'), this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
