import { Pool } from 'undici';
import { INGEST_TOKEN } from './serveProcess.js';
import { sleep } from './stats.js';

/** Where an `IngestLoad` gets its request bodies: a JSON array of `count` gateway messages. */
export interface Traffic {
  batch(count: number): string;
}

/**
 * Gateway messages that each make exactly one event: `connection` messages, round-robin over
 * the gateways, each flipping its gateway's status (CONNECTED ↔ DISCONNECTED), so the rules
 * report every one (CONNECTIVITY_STATUS). Each carries a `messageId` (the resend guard costs a
 * statement per message, as it does for real gateways) and `sentAt`: the time its ingest
 * request was sent, which becomes the event's `occurredAt` and gives the receiver the latency.
 */
export class GatewayTraffic implements Traffic {
  private next = 0;
  private messages = 0;
  private readonly online: boolean[];

  constructor(private readonly gatewayIds: readonly string[]) {
    this.online = gatewayIds.map(() => true);
  }

  /** A JSON array of `count` messages stamped with the current time. */
  batch(count: number): string {
    const sentAt = new Date().toISOString();
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const g = this.next;
      this.next = (this.next + 1) % this.gatewayIds.length;
      this.online[g] = !this.online[g];
      const status = this.online[g] ? 'CONNECTED' : 'DISCONNECTED';
      parts.push(
        `{"kind":"connection","gatewayId":"${this.gatewayIds[g]}","status":"${status}","messageId":"m${++this.messages}","sentAt":"${sentAt}"}`,
      );
    }
    return `[${parts.join(',')}]`;
  }
}

/**
 * Gateway messages that make no event: heartbeats (each with a `messageId`) of gateways already
 * online, the bulk of what a real fleet sends (`BENCHMARKS.md`, capacity model). The first
 * heartbeat of a gateway with no known state does report it ONLINE.
 */
export class HeartbeatTraffic implements Traffic {
  private next = 0;
  private messages = 0;

  constructor(private readonly gatewayIds: readonly string[]) {}

  batch(count: number): string {
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const gatewayId = this.gatewayIds[this.next];
      this.next = (this.next + 1) % this.gatewayIds.length;
      parts.push(`{"kind":"heartbeat","gatewayId":"${gatewayId}","messageId":"h${++this.messages}"}`);
    }
    return `[${parts.join(',')}]`;
  }
}

/** POSTs ingest batches over a keep-alive pool, as a gateway bridge would. */
export class IngestClient {
  private readonly pool: Pool;

  constructor(baseUrl: string, connections = 8) {
    this.pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  /** Sends one batch; returns how many messages were accepted (throws unless 202). */
  async post(body: string): Promise<number> {
    const res = await this.pool.request({
      method: 'POST',
      path: '/v1/ingest',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body,
    });
    const text = await res.body.text();
    if (res.statusCode !== 202) throw new Error(`POST /v1/ingest → ${res.statusCode}: ${text.slice(0, 500)}`);
    return (JSON.parse(text) as { accepted: number }).accepted;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * A running load: `sent` events (messages) so far and `accepted` by the server. Start it with
 * one of the `start…` methods, read the counters at window boundaries, `stop()` it.
 */
export class IngestLoad {
  sent = 0;
  accepted = 0;
  private stopping = false;
  private readonly running: Promise<unknown>[] = [];
  private failure: Error | undefined;

  constructor(
    private readonly client: IngestClient,
    private readonly traffic: Traffic,
    private readonly batchSize: number,
  ) {}

  /**
   * As fast as ingest takes it, `concurrency` requests at a time. With `delivered` (events of
   * this load delivered so far), a lane holds back while more than `maxOutstanding` sent events
   * are not yet delivered: saturation without an ever-growing queue.
   */
  startClosedLoop(concurrency: number, delivered?: () => number, maxOutstanding = Number.POSITIVE_INFINITY): this {
    for (let i = 0; i < concurrency; i++) {
      this.running.push(
        (async () => {
          while (!this.stopping) {
            if (delivered && this.sent - delivered() > maxOutstanding) {
              await sleep(2);
              continue;
            }
            await this.send();
          }
        })(),
      );
    }
    return this;
  }

  /** `eventsPerSecond` in batches of `batchSize` on a fixed timetable, whatever the answers. */
  startFixedRate(eventsPerSecond: number): this {
    const intervalMs = (1000 * this.batchSize) / eventsPerSecond;
    this.running.push(
      (async () => {
        const started = performance.now();
        const inFlight = new Set<Promise<void>>();
        for (let k = 0; !this.stopping; k++) {
          const due = started + k * intervalMs;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
          const request = this.send().finally(() => inFlight.delete(request));
          inFlight.add(request);
        }
        await Promise.all(inFlight);
      })(),
    );
    return this;
  }

  /** Sends exactly `events` events (in batches) with `concurrency` requests at a time, then resolves. */
  async sendCount(events: number, concurrency: number): Promise<void> {
    let left = events;
    const lanes = Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        const n = Math.min(this.batchSize, left);
        left -= n;
        await this.send(n);
      }
    });
    await Promise.all(lanes);
    this.throwIfFailed();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
    this.throwIfFailed();
  }

  private async send(count = this.batchSize): Promise<void> {
    const body = this.traffic.batch(count);
    this.sent += count;
    try {
      const accepted = await this.client.post(body);
      this.accepted += accepted; // not `+= await`: that reads the counter before the wait
    } catch (err) {
      this.failure ??= err as Error;
      this.stopping = true;
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
