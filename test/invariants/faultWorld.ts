import { Dispatcher } from '../../src/delivery/dispatcher.js';
import type { DispatchHooks } from '../../src/delivery/dispatchHooks.js';
import type { ClaimedDelivery } from '../../src/delivery/queue/claimDeliveries.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import type { Runtime } from '../../src/runtime.js';
import { reclaimLeases } from '../../src/scheduler/jobs/reclaimLeases.js';
import type { Store } from '../../src/store/db.js';
import { openStore } from '../../src/store/openStore.js';
import { Receiver } from '../helpers/receiver.js';
import { seedPartner } from '../helpers/seed.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

/** The steps of a delivery where a fault can be injected. */
export const STEPS = ['claim', 'loadTargets', 'decrypt', 'render', 'post', 'writeOutcomes'] as const;
export type Step = (typeof STEPS)[number];

/** Four attempts: a few lost workers are enough to use them up, so dead-lettering is exercised. */
export const SCHEDULE = [0, 1000, 1000, 1000];

class Fault extends Error {}

/**
 * One dispatcher and the faults armed in it, through its hooks (no monkey-patching): a one-shot
 * throw at a step, a pause of its POSTs (a stalled node), or a crash at a step (it stops there
 * for ever: a synchronous step throws, and everything after hangs).
 */
export class FaultyNode {
  readonly dispatcher: Dispatcher;
  readonly armed = new Set<Step>();
  /** The claims it made. */
  readonly tokens = new Set<string>();
  crashAt: Step | undefined;
  crashed = false;
  /** Resolves once the node has crashed, so the test stops waiting for it. */
  readonly crash: Promise<void>;
  private onCrash!: () => void;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(
    rt: Runtime,
    /** Deliveries of this webhook suffer the per-delivery faults (decrypt, render, post). */
    private readonly victim: string,
    world: FaultWorld,
  ) {
    this.crash = new Promise((resolve) => (this.onCrash = resolve));
    const hooks: DispatchHooks = {
      claim: () => this.at('claim'),
      loadTargets: () => this.at('loadTargets'),
      decrypt: (webhookId) => this.atSync('decrypt', webhookId === this.victim),
      render: (d) => this.atSync('render', d.webhook_id === this.victim),
      post: async (d) => {
        if (this.gate) await this.gate;
        return this.at('post', d.webhook_id === this.victim);
      },
      writeOutcomes: () => this.at('writeOutcomes'),
      claimed: (ds) => {
        for (const d of ds) this.tokens.add(d.claim_token);
      },
      stale: (outcomes) => world.staleReported(outcomes.map((o) => o.delivery)),
    };
    this.dispatcher = new Dispatcher(rt, { hooks });
  }

  get paused(): boolean {
    return this.gate !== undefined;
  }

  pause(): void {
    if (!this.gate) this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  resume(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  /** Runs `pass` unless the node crashes during it (then returns, leaving it hanging). */
  async run(pass: () => Promise<unknown>): Promise<void> {
    if (this.crashed) return;
    await Promise.race([pass().catch((err) => (err instanceof Fault ? undefined : Promise.reject(err))), this.crash]);
  }

  private async at(step: Step, applies = true): Promise<void> {
    if (this.crashed || (this.crashAt === step && applies)) {
      this.crashed = true;
      this.onCrash();
      await new Promise(() => {}); // a crashed process does nothing more
    }
    this.atSync(step, applies);
  }

  private atSync(step: Step, applies = true): void {
    if (this.crashed || (this.crashAt === step && applies)) {
      this.crashed = true;
      this.onCrash();
      throw new Fault('crashed');
    }
    if (applies && this.armed.delete(step)) throw new Fault(`injected fault at ${step}`);
  }
}

export interface Company {
  webhookId: string;
  apiKey: string;
}

/**
 * A Hearthook on the test engine with four companies on one gateway, one of whose webhooks
 * can never be decrypted (`broken`) and one of which (`victim`) suffers injected faults and an
 * endpoint that fails on demand; the other two must get everything. Claims and reclaims are
 * tracked, so stale outcomes can be told from outcomes refused in error.
 */
export class FaultWorld {
  hh!: TestHearthook;
  receiver!: Receiver;
  companies: Company[] = [];
  broken!: Company;
  victim!: Company;
  /** Answer the victim's requests with 500. */
  victimFails = false;
  nodes: FaultyNode[] = [];
  /** Every node ever started (crashed ones too). */
  allNodes: FaultyNode[] = [];
  /** `<token> <deliveryId>` of claims taken back by the reclaim job. */
  readonly revoked = new Set<string>();
  readonly wronglyRefused: string[] = [];
  private stores: Store[] = [];

  async start(events: number): Promise<void> {
    this.hh = await startTestHearthook({
      retrySchedule: SCHEDULE,
      deliveryTimeoutMs: 60_000, // leases never run out by themselves: the test expires them
      claimBatchSize: 5,
      maxInFlight: 12,
      endpointMaxInFlight: 2,
      circuitFailureThreshold: 3,
      circuitOpenMs: 1000,
    });
    const { rt } = this.hh;
    this.receiver = await new Receiver().start();
    this.receiver.reply = (req) => (this.victimFails && req.headers['x-api-key'] === this.victim.apiKey ? { status: 500 } : { status: 200, body: 'ok' });
    const gatewayId = '123456789';
    for (let i = 0; i < 4; i++) {
      const { webhookId, apiKey } = await seedPartner(rt, { url: this.receiver.url, gatewayId });
      this.companies.push({ webhookId, apiKey });
    }
    [this.broken, this.victim] = this.companies;
    // Encrypted under another master key: it can never be decrypted here.
    await rt.store.run('UPDATE webhooks SET secret_enc = ? WHERE id = ?', ['v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA', this.broken.webhookId]);
    for (let i = 0; i < events; i++) {
      await rt.store.transaction((tx) =>
        fanOut(tx, rt.clock.now(), [{ type: 'CONNECTIVITY_STATUS', gatewayId, data: { connectivityStatus: i % 2 ? 'ONLINE' : 'OFFLINE' } }]),
      );
    }
    // Two nodes; on PostgreSQL each on connections of its own, as two processes would be.
    this.stores = [rt.store, rt.store.engine === 'postgres' ? await openStore(rt.config.database) : rt.store];
    this.nodes = [0, 1].map((i) => this.newNode(i));
  }

  newNode(slot: number): FaultyNode {
    const node = new FaultyNode({ ...this.hh.rt, store: this.stores[slot] }, this.victim.webhookId, this);
    this.nodes[slot] = node;
    this.allNodes.push(node);
    return node;
  }

  staleReported(deliveries: readonly ClaimedDelivery[]): void {
    for (const d of deliveries) if (!this.revoked.has(`${d.claim_token} ${d.id}`)) this.wronglyRefused.push(`${d.claim_token} ${d.id}`);
  }

  /** The node's leases run out (it stalled past them), and the reclaim job takes them back. */
  async expireLeases(node?: FaultyNode): Promise<void> {
    const { store } = this.hh.rt;
    const rows = await store.all<{ id: number; claim_token: string }>("SELECT id, claim_token FROM deliveries WHERE status = 'delivering'");
    const mine = node ? rows.filter((r) => node.tokens.has(r.claim_token)) : rows;
    for (const r of mine) {
      await store.run('UPDATE deliveries SET lease_until = 0 WHERE id = ? AND claim_token = ?', [r.id, r.claim_token]);
      this.revoked.add(`${r.claim_token} ${r.id}`);
    }
    await reclaimLeases(this.hh.rt);
  }

  async close(): Promise<void> {
    for (const node of this.allNodes) {
      node.resume();
      await node.dispatcher.client.close();
    }
    await this.receiver.stop();
    if (this.stores[1] !== this.hh.rt.store) await this.stores[1]?.close();
    await this.hh.close();
  }
}
