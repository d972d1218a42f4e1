import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import { reclaimLeases } from '../../src/scheduler/jobs/reclaimLeases.js';
import type { Store } from '../../src/store/db.js';
import { openStore } from '../../src/store/openStore.js';
import { type Received, Receiver, type Reply } from '../helpers/receiver.js';
import { seedPartner } from '../helpers/seed.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

/** Four attempts a second apart: enough failures in a row dead-letter a delivery, so gaps happen. */
export const SCHEDULE = [0, 1000, 1000, 1000];
/** A request's deadline: a 'slow' answer comes after it. */
const DEADLINE_MS = 300;

/** How the endpoint answers one request: 200, 500, 429 with Retry-After, or 200 after the deadline. */
export type Answer = 'ok' | 'fail' | 'busy' | 'slow';
export type Ordering = 'NONE' | 'GATEWAY';

/** One request as the receiver saw it, with what the dispatcher knew when it claimed the delivery. */
export interface Arrival {
  webhookId: string;
  gatewayId: string;
  sequence: number;
  deliveryId: number;
  /** The receiver answered 2xx (perhaps after the dispatcher stopped waiting). */
  success: boolean;
  /** The webhook's ordering when the claim that sent this request was made. */
  claimedUnder: Ordering;
}

interface Sent {
  deliveryId: number;
  gatewayId: string;
  sequence: number;
  claimedUnder: Ordering;
}

/**
 * Hearthook on the test engine with two partners' webhooks on three gateways, several
 * dispatchers (on PostgreSQL each with connections of its own, as separate processes), one
 * receiver answering from a script, and each webhook's ordering switchable between steps.
 * Records every arrival with the ordering its claim was made under.
 */
export class OrderedWorld {
  hh!: TestHearthook;
  receiver!: Receiver;
  readonly gateways = ['300000001', '300000002', '300000003'];
  webhooks: Array<{ id: string; apiKey: string }> = [];
  readonly ordering = new Map<string, Ordering>();
  dispatchers: Dispatcher[] = [];
  readonly arrivals: Arrival[] = [];
  /** The endpoint's next answers, in order; 'ok' once they run out. */
  script: Answer[] = [];
  private readonly claimedUnder = new Map<number, Ordering>();
  /** `<event id> <webhook id>` → the delivery being sent for it (at most one request at a time each). */
  private readonly sending = new Map<string, Sent>();
  private stores: Store[] = [];

  async start(initial: [Ordering, Ordering], nodes: number): Promise<void> {
    this.hh = await startTestHearthook({
      retrySchedule: SCHEDULE,
      deliveryTimeoutMs: DEADLINE_MS,
      claimBatchSize: 4,
      maxInFlight: 8,
      endpointMaxInFlight: 3,
      circuitFailureThreshold: 4,
      circuitOpenMs: 1000,
    });
    const { rt } = this.hh;
    this.receiver = await new Receiver().start();
    this.receiver.reply = (req) => this.answer(req);
    for (const ordering of initial) {
      const { companyId, webhookId, apiKey } = await seedPartner(rt, { url: this.receiver.url, gatewayId: this.gateways[0] });
      const now = rt.clock.now();
      for (const gatewayId of this.gateways.slice(1)) {
        await rt.store.run("INSERT INTO gateways (id, type, timezone, created_at) VALUES (?, 'K40', 'Europe/Berlin', ?) ON CONFLICT (id) DO NOTHING", [gatewayId, now]);
        await rt.store.run(
          "INSERT INTO contracts (gateway_id, company_id, status, consent, created_at, updated_at) VALUES (?, ?, 'ACTIVE', 'MONITOR_AND_CONTROL', ?, ?)",
          [gatewayId, companyId, now, now],
        );
      }
      this.webhooks.push({ id: webhookId, apiKey });
      await this.setOrdering(webhookId, ordering);
    }
    for (let i = 0; i < nodes; i++) {
      const store = i === 0 || rt.store.engine !== 'postgres' ? rt.store : await openStore(rt.config.database);
      if (store !== rt.store) this.stores.push(store);
      this.dispatchers.push(
        new Dispatcher(
          { ...rt, store },
          {
            hooks: {
              claimed: (ds) => {
                for (const d of ds) this.claimedUnder.set(d.id, this.ordering.get(d.webhook_id) as Ordering);
              },
              post: (d) => {
                const sent = { deliveryId: d.id, gatewayId: d.gateway_id, sequence: d.sequence, claimedUnder: this.claimedUnder.get(d.id) as Ordering };
                this.sending.set(`${d.event_id} ${d.webhook_id}`, sent);
              },
            },
          },
        ),
      );
    }
  }

  /** What PATCH /v1/webhooks/{id} { ordering } writes (the API's own test covers the route). */
  async setOrdering(webhookId: string, ordering: Ordering): Promise<void> {
    await this.hh.rt.store.run('UPDATE webhooks SET ordering = ? WHERE id = ?', [ordering, webhookId]);
    this.ordering.set(webhookId, ordering);
  }

  /** `count` events of one gateway, each in a transaction of its own, as ingest writes them. */
  async emit(gateway: number, count: number): Promise<void> {
    const { rt } = this.hh;
    for (let i = 0; i < count; i++) {
      await rt.store.transaction((tx) =>
        fanOut(tx, rt.clock.now(), [{ type: 'CONNECTIVITY_STATUS', gatewayId: this.gateways[gateway], data: { connectivityStatus: i % 2 ? 'ONLINE' : 'OFFLINE' } }]),
      );
    }
  }

  private answer(req: Received): Reply {
    const webhook = this.webhooks.find((w) => w.apiKey === req.headers['x-api-key']);
    const sent = webhook && this.sending.get(`${req.headers['webhook-id']} ${webhook.id}`);
    if (!webhook || !sent) throw new Error(`an arrival no dispatcher sent: ${req.headers['webhook-id']}`);
    const answer = this.script.shift() ?? 'ok';
    this.arrivals.push({ webhookId: webhook.id, ...sent, success: answer === 'ok' || answer === 'slow' });
    if (answer === 'fail') return { status: 500 };
    if (answer === 'busy') return { status: 429, headers: { 'retry-after': '1' } };
    return { status: 200, body: 'ok', delayMs: answer === 'slow' ? DEADLINE_MS * 2 : 0 };
  }

  /** How many deliveries are not delivered or dead yet. */
  async unfinished(): Promise<number> {
    const row = await this.hh.rt.store.get<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries WHERE status NOT IN ('delivered', 'dead')");
    return Number(row?.n ?? 0);
  }

  /** The endpoint answers everything; every dispatcher drains, the clock moving past each retry, until nothing is left. */
  async drain(): Promise<void> {
    this.script = [];
    for (let round = 0; round < 300; round++) {
      for (const dispatcher of this.dispatchers) {
        await dispatcher.tick();
        await dispatcher.idle();
      }
      // Nothing is in flight now; a lease that ran out (on PostgreSQL, in real time) comes back.
      await reclaimLeases(this.hh.rt);
      if ((await this.unfinished()) === 0) return;
      this.hh.clock.advance(Math.max(...SCHEDULE) * 1.1 + 100);
    }
    throw new Error(`${await this.unfinished()} deliveries still unfinished after draining`);
  }

  async close(): Promise<void> {
    for (const dispatcher of this.dispatchers) await dispatcher.client.close();
    await this.receiver.stop();
    for (const store of this.stores) await store.close();
    await this.hh.close();
  }
}

/**
 * Arrivals that broke the order: a successful arrival of sequence s, sent by a claim made while
 * its webhook was GATEWAY, before the first successful arrival of an earlier sequence of its
 * (webhook, gateway). Each as `webhook gateway: s before r`.
 */
export function outOfOrder(arrivals: readonly Arrival[]): string[] {
  const firstSuccess = new Map<string, number>(); // `<webhook> <gateway> <sequence>` → arrival index
  arrivals.forEach((a, i) => {
    const key = `${a.webhookId} ${a.gatewayId} ${a.sequence}`;
    if (a.success && !firstSuccess.has(key)) firstSuccess.set(key, i);
  });
  const broken: string[] = [];
  arrivals.forEach((a, i) => {
    if (!a.success || a.claimedUnder !== 'GATEWAY') return;
    for (let r = 1; r < a.sequence; r++) {
      const earlier = firstSuccess.get(`${a.webhookId} ${a.gatewayId} ${r}`);
      if (earlier !== undefined && earlier > i) broken.push(`${a.webhookId} ${a.gatewayId}: ${a.sequence} before ${r}`);
    }
  });
  return broken;
}
