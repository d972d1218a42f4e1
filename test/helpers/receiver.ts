import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer this request only after this long (a slow endpoint, or one past the deadline). */
  delayMs?: number;
}

/** A real partner endpoint on loopback that records what it receives. */
export class Receiver {
  readonly received: Received[] = [];
  /** How to answer; change it between steps of a test. */
  reply: (req: Received) => Reply = () => ({ status: 200, body: 'ok' });
  /** How long to wait before answering, to keep deliveries in flight. */
  delayMs = 0;
  private server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
        this.received.push(received);
        const answer = () => {
          const reply = this.reply(received);
          const write = () => {
            if (res.destroyed) return; // the client gave up waiting
            res.writeHead(reply.status, reply.headers);
            res.end(reply.body ?? '');
          };
          if (reply.delayMs) setTimeout(write, reply.delayMs);
          else write();
        };
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** How many distinct `webhook-id`s arrived, and how many arrivals repeated one. */
  uniqueIds(): { unique: number; duplicates: number } {
    const ids = new Set(this.received.map((r) => r.headers['webhook-id']));
    return { unique: ids.size, duplicates: this.received.length - ids.size };
  }

  /** What one gateway's requests carried, in arrival order: their `webhook-sequence` numbers. */
  sequencesOf(gatewayId: string): number[] {
    return this.received.filter((r) => JSON.parse(r.body).gatewayId === gatewayId).map((r) => Number(r.headers['webhook-sequence']));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Whether `secret` verifies a received delivery's Standard Webhooks signature. */
export function verifies(secret: string, req: Received): boolean {
  try {
    new Webhook(secret).verify(req.body, req.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}
