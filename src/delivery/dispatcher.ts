import { randomBytes } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import { recordAutoUpgrades } from '../versions/autoUpgrade.js';
import { effectiveMajor } from '../versions/registry.js';
import type { StoredEvent } from '../versions/renderEvent.js';
import { AddressPolicy } from './addressPolicy.js';
import { type AttemptTarget, attemptTarget } from './attemptTarget.js';
import { buildRequest, type WebhookRequest } from './buildRequest.js';
import { isSuccess } from './classifyOutcome.js';
import type { DispatchHooks } from './dispatchHooks.js';
import { EndpointClient, type PostResult } from './endpointClient.js';
import { EndpointHealth } from './endpointHealth.js';
import { HeldDeliveries } from './heldDeliveries.js';
import { BrokenTarget, DeliveryTargets, type Target } from './loadDeliveryTargets.js';
import type { ClaimedDelivery } from './queue/claimDeliveries.js';
import { type ClaimedBatch, claimForSending } from './queue/claimForSending.js';
import { deferHeldDeliveries, HELD_PASS_MS } from './queue/deferHeldDeliveries.js';
import { deferWebhookDeliveries } from './queue/deferWebhookDeliveries.js';
import { hasDueWork } from './queue/hasDueWork.js';
import { recordOpenCircuit } from './queue/recordOpenCircuit.js';
import { type Outcome, recordOutcomes } from './recordOutcomes.js';
import { WakeSignal } from './wakeSignal.js';

/** An endpoint at its in-flight limit that has finished nothing for this long is stalled. */
const STALLED_AFTER_MS = 1000;

export interface DispatcherOptions {
  /** Test hooks called at each step (fault injection); none in production. */
  hooks?: DispatchHooks;
}

/**
 * The lease of a claim, from the one deadline of a request (`deliveryTimeoutMs`, connect to last
 * body byte): a held delivery starts within two deadlines of the claim, its request ends within
 * one more, and one deadline of margin covers writing the outcome. A live worker always records
 * before its lease ends; if it does not, its late outcome changes nothing (the moves name the claim).
 *
 * @example leaseFor(15_000) // 60_000
 */
export function leaseFor(deadlineMs: number): { holdMs: number; leaseMs: number } {
  return { holdMs: 2 * deadlineMs, leaseMs: 4 * deadlineMs };
}

/**
 * Claims due deliveries in batches, POSTs them concurrently, and records outcomes and attempts
 * in batches: one claim statement per up to `claimBatchSize` rows and one transaction per group
 * of outcomes, so the database is not touched per delivery (DESIGN.md, "Where the time goes").
 * Polling keeps it correct; `store.onWork` only cuts the idle sleep short.
 *
 * Whatever happens to a claimed delivery becomes an outcome (sent, unsendable, or given back
 * untried): a fault in one delivery fails that delivery only, every in-flight slot is released
 * by its request's end, and an outcome whose write fails is written again on the next pass.
 */
export class Dispatcher {
  /** Shared with the API's test sends, so both go through the same address checks. */
  readonly client: EndpointClient;
  private readonly targets: DeliveryTargets;
  /** Per-endpoint in-flight limits and circuit breakers: one bad endpoint slows no other. */
  readonly health: EndpointHealth;
  /** Claimed and not yet recorded: being sent, held, or with an outcome waiting to be written. */
  private readonly inFlight = new Set<ClaimedDelivery>();
  private readonly held = new HeldDeliveries();
  /** When each open circuit's queued deliveries were last moved past its end. */
  private readonly deferredAt = new Map<string, number>();
  /** The end of each open circuit as last written to its webhook's row (recordOpenCircuit). */
  private readonly circuitsRecorded = new Map<string, number>();
  /** When deliveries held behind a retrying one of their gateway were last moved (ordering GATEWAY). */
  private heldDeferredAt = 0;
  /** Webhooks sent in a major other than their pin (past its support end): recorded after the pass. */
  private readonly upgraded = new Map<string, Target>();
  private outcomes: Outcome[] = [];
  /** Outcomes being written right now: finished requests, so they hold no room. */
  private recording = 0;
  private readonly hooks: DispatchHooks;
  /** Names this dispatcher's claims: `<id>.<n>`. */
  private readonly id = randomBytes(6).toString('base64url');
  private claims = 0;
  private stopping = false;
  /** Cuts the idle sleep short: an outcome arrived, or new work was announced. */
  private readonly wake = new WakeSignal();
  private loop: Promise<void> | undefined;
  private loopDied = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly rt: Runtime,
    options: DispatcherOptions = {},
  ) {
    this.hooks = options.hooks ?? {};
    this.client = new EndpointClient(new AddressPolicy(rt.config.allowPrivateNetworks), rt.config.deliveryTimeoutMs);
    this.targets = new DeliveryTargets(rt.encrypter, rt.clock, this.hooks.decrypt);
    this.health = new EndpointHealth({
      maxInFlight: rt.config.endpointMaxInFlight,
      failureThreshold: rt.config.circuitFailureThreshold,
      openMs: rt.config.circuitOpenMs,
      maxOpenMs: Math.max(rt.config.circuitOpenMs, 600_000),
    });
  }

  start(): void {
    this.unsubscribe = this.rt.store.onWork(() => this.wake.signal());
    this.loop = this.run().catch((err) => {
      this.loopDied = true;
      this.rt.log.fatal({ err }, 'dispatcher stopped');
    });
  }

  /** Started, not stopping, and its loop alive (readiness). */
  get running(): boolean {
    return this.loop !== undefined && !this.stopping && !this.loopDied;
  }

  /** Claimed deliveries not yet recorded (metrics). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Stops claiming, gives back held deliveries untried, waits up to `graceMs` (by default one
   * request deadline and a margin: a request started just before is not cut short) for requests
   * in flight, records what finished, and gives back the rest untried.
   */
  async stop(graceMs = this.rt.config.deliveryTimeoutMs + 2000): Promise<void> {
    this.stopping = true;
    this.wake.signal();
    await this.loop;
    this.unsubscribe?.();
    const now = this.rt.clock.now();
    for (const { delivery } of this.held.takeAll()) this.outcomes.push({ delivery, untriedUntil: now });
    const deadline = Date.now() + graceMs;
    await this.flush();
    while (this.inFlight.size > this.outcomes.length && Date.now() < deadline) {
      await this.wake.wait(Math.max(0, deadline - Date.now()));
      await this.flush();
    }
    const recorded = new Set(this.outcomes.map((o) => o.delivery));
    const unfinished = [...this.inFlight].filter((d) => !recorded.has(d));
    for (const delivery of unfinished) this.outcomes.push({ delivery, untriedUntil: this.rt.clock.now() });
    await this.flush();
    if (unfinished.length) this.rt.log.warn({ released: unfinished.length }, 'released unfinished deliveries at shutdown');
    await this.client.close();
  }

  /**
   * One pass: record finished outcomes and, meanwhile, claim and start what fits. Returns how
   * many it claimed. The outcomes' write and the claim run on two connections at once, so a pass
   * waits for the slower of the two, not for both one after the other (on PostgreSQL each is a
   * commit); the deliveries being recorded have finished their requests, so they leave room.
   */
  async tick(): Promise<number> {
    const writing = this.flush();
    try {
      return await this.claimAndRoute();
    } finally {
      await writing;
    }
  }

  private async claimAndRoute(): Promise<number> {
    const { claimBatchSize, maxInFlight, deliveryTimeoutMs, retrySchedule } = this.rt.config;
    const room = Math.min(claimBatchSize, maxInFlight - (this.inFlight.size - this.recording));
    if (room <= 0 || this.stopping) return 0;
    const now = this.rt.clock.now();
    await this.deferOpenCircuits(now);
    await this.deferHeld(now);
    const blocked = this.health.blocked(now);
    // With endpoints blocked, the claim walks all their due rows in order to find others' rows:
    // 46 ms at 100,000 rows, for nothing when there are none. One index probe per webhook first.
    if (blocked.length > 0 && !(await hasDueWork(this.rt.store, now, blocked))) return 0;
    await this.hooks.claim?.();
    const { leaseMs } = leaseFor(deliveryTimeoutMs);
    const token = `${this.id}.${++this.claims}`;
    const scheduleLength = retrySchedule.length;
    const batch = await claimForSending(this.rt.store, { token, now, leaseMs, limit: room, scheduleLength, skipWebhooks: blocked });
    const { claimed } = batch;
    if (claimed.length === 0) return 0;
    for (const delivery of claimed) this.inFlight.add(delivery);
    this.hooks.claimed?.(claimed);
    await this.route(batch, now);
    return claimed.length;
  }

  /**
   * Sends, holds or gives back each claimed delivery. Never throws: a batch whose targets cannot
   * be loaded (the database failed, not the deliveries) goes back untried; a fault in one
   * delivery becomes that delivery's outcome.
   */
  private async route({ claimed, events: claimedEvents, webhookVersions }: ClaimedBatch, now: number): Promise<void> {
    let events: Map<string, StoredEvent>;
    let webhooks: Map<string, Target | BrokenTarget>;
    try {
      await this.hooks.loadTargets?.();
      events = claimedEvents ?? (await this.targets.events(this.rt.store, claimed.map((d) => d.event_id)));
      webhooks = await this.targets.webhooks(this.rt.store, claimed.map((d) => d.webhook_id), webhookVersions);
    } catch (err) {
      this.rt.log.error({ err, deliveries: claimed.length }, 'could not load the claimed deliveries; giving them back untried');
      for (const delivery of claimed) this.outcomes.push({ delivery, untriedUntil: now });
      return;
    }
    const { holdMs } = leaseFor(this.rt.config.deliveryTimeoutMs);
    for (const delivery of claimed) {
      const attemptedAt = this.rt.clock.now();
      const event = events.get(delivery.event_id);
      const target = webhooks.get(delivery.webhook_id);
      if (!event || !target) {
        const reason = event ? 'the webhook no longer exists' : 'the event no longer exists';
        this.outcomes.push({ delivery, attemptedAt, result: { unsendable: reason, final: true } });
      } else if (target instanceof BrokenTarget) {
        this.outcomes.push({ delivery, attemptedAt, result: { unsendable: target.reason, broken: true } });
      } else {
        const admission = this.health.admit(delivery.webhook_id, attemptedAt);
        if (admission === 'go') this.dispatch(delivery, event, target);
        else if (admission === 'busy') this.held.add({ delivery, event, target, startBy: now + holdMs });
        else this.outcomes.push({ delivery, untriedUntil: admission.openUntil });
      }
    }
  }

  /**
   * An open circuit's queued deliveries are moved past its end when it opens, but fan-out keeps
   * queueing new ones, due at once; moved again once a second, they never pile up in front of
   * the claim. Without this, healthy endpoints' deliveries/s fell from 5,600 to 2,400 within 30 s
   * of a dead endpoint's circuit opening (npm run bench, isolation). The same goes, a second at a
   * time, for an endpoint whose requests all hang: its circuit stays closed until they time out
   * (15 s by default), and meanwhile its new deliveries piled up in the due index, where every
   * claim walked past them.
   */
  private async deferOpenCircuits(now: number): Promise<void> {
    const open = this.health.openCircuits(now);
    await this.recordOpenCircuits(open);
    for (const webhookId of this.health.stalled(now, STALLED_AFTER_MS)) open.push([webhookId, now + STALLED_AFTER_MS]);
    for (const id of this.deferredAt.keys()) if (!open.some(([openId]) => openId === id)) this.deferredAt.delete(id);
    for (const [webhookId, openUntil] of open) {
      if (now - (this.deferredAt.get(webhookId) ?? 0) < 1000) continue;
      this.deferredAt.set(webhookId, now);
      await deferWebhookDeliveries(this.rt.store, webhookId, openUntil, now);
    }
  }

  /** Each circuit that opened or re-opened since the last pass, written where every node can count it. */
  private async recordOpenCircuits(open: Array<[webhookId: string, openUntil: number]>): Promise<void> {
    for (const id of this.circuitsRecorded.keys()) if (!open.some(([openId]) => openId === id)) this.circuitsRecorded.delete(id);
    for (const [webhookId, openUntil] of open) {
      if (this.circuitsRecorded.get(webhookId) === openUntil) continue;
      await recordOpenCircuit(this.rt.store, webhookId, openUntil);
      this.circuitsRecorded.set(webhookId, openUntil);
    }
  }

  /** Every few seconds: held deliveries out of the claim's way until their line can move (deferHeldDeliveries.ts). */
  private async deferHeld(now: number): Promise<void> {
    if (now - this.heldDeferredAt < HELD_PASS_MS) return;
    this.heldDeferredAt = now;
    await deferHeldDeliveries(this.rt.store, now);
  }

  /**
   * Builds and POSTs one admitted delivery. A request that cannot be built (render, sign, URL)
   * gives its slot back unused and fails the delivery as a configuration error; the slot of a
   * request that was made is released when it ends, however it ends.
   */
  private dispatch(delivery: ClaimedDelivery, event: StoredEvent, target: Target): void {
    const attemptedAt = this.rt.clock.now();
    let request: WebhookRequest;
    let major: number;
    let sentTo: AttemptTarget;
    try {
      // Each attempt renders the webhook's effective major now, retries too (registry.ts says why).
      major = effectiveMajor(target.apiVersion, attemptedAt, this.rt.config.apiVersions);
      this.hooks.render?.(delivery);
      request = buildRequest(event, target, delivery.sequence, major, attemptedAt, this.rt.config.apiVersions);
      // Here, not after the POST: a throw there would leave the outcome unrecorded and the promise rejected.
      sentTo = attemptTarget(target);
    } catch (err) {
      this.health.cancel(delivery.webhook_id, attemptedAt);
      this.outcomes.push({ delivery, attemptedAt, result: { unsendable: `configuration error: ${messageOf(err)}`, broken: true } });
      return;
    }
    if (major !== target.apiVersion) this.upgraded.set(target.id, target);
    void this.post(delivery, request).then((result) => {
      const openUntil = this.health.settle(delivery.webhook_id, isSuccess(result.statusCode), this.rt.clock.now());
      if (openUntil !== null) {
        this.rt.log.warn({ webhookId: delivery.webhook_id, until: new Date(openUntil).toISOString() }, 'endpoint circuit opened after repeated failures');
      }
      this.outcomes.push({ delivery, attemptedAt, result: { sent: result }, major, sentTo });
      this.wake.signal();
    });
  }

  /** The POST's result; a throw on the way (a hook, a bug) is a failed attempt like any other. */
  private async post(delivery: ClaimedDelivery, request: WebhookRequest): Promise<PostResult> {
    const started = performance.now();
    try {
      await this.hooks.post?.(delivery);
      return await this.client.post(request.url, request.headers, request.body);
    } catch (err) {
      return { statusCode: null, headers: {}, body: null, error: messageOf(err), durationMs: Math.round(performance.now() - started) };
    }
  }

  /** Resolves when nothing is in flight and every outcome is recorded (for tests and drains). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.outcomes.length > 0) {
      await this.wake.wait(50);
      await this.flush();
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      try {
        claimed = await this.tick();
      } catch (err) {
        this.rt.log.error({ err }, 'dispatcher pass failed; retrying');
      }
      if (this.stopping) break;
      if (claimed === this.rt.config.claimBatchSize) continue;
      // Idle or short batch: sleep until an outcome arrives, new work is announced, or the poll.
      await this.wake.wait(this.rt.config.pollIntervalMs);
      // Let a few more outcomes land before writing them in one transaction.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Writes the outcomes gathered so far in one transaction, then starts held deliveries whose
   * endpoint has room. Never throws: a batch whose write fails is put back and written on the
   * next pass (its endpoint slots were released when its requests ended, not here).
   */
  private async flush(): Promise<void> {
    const now = this.rt.clock.now();
    if (this.outcomes.length > 0) {
      const batch = this.outcomes;
      this.outcomes = [];
      this.recording += batch.length;
      try {
        await this.hooks.writeOutcomes?.(batch);
        const { stale, finished } = await recordOutcomes(this.rt.store, batch, now, this.rt.config.retrySchedule);
        for (const { delivery } of batch) this.inFlight.delete(delivery);
        for (const { delivery, result, outcome } of finished) this.rt.observer.deliveryFinished(delivery, result, outcome);
        if (stale.length > 0) {
          const ids = stale.map((o) => o.delivery.id);
          this.rt.log.warn({ deliveryIds: ids }, 'outcomes ignored: their claim no longer held the delivery (its lease ran out)');
          this.hooks.stale?.(stale);
        }
      } catch (err) {
        this.outcomes = batch.concat(this.outcomes);
        this.rt.log.error({ err, outcomes: batch.length }, 'could not record outcomes; writing them again on the next pass');
      } finally {
        this.recording -= batch.length;
      }
    }
    await this.recordUpgrades(now);
    if (this.stopping) return;
    const { start, giveBack } = this.held.take(now, (webhookId) => this.health.admit(webhookId, now));
    for (const { delivery, event, target } of start) this.dispatch(delivery, event, target);
    for (const { held, dueAt } of giveBack) this.outcomes.push({ delivery: held.delivery, untriedUntil: dueAt });
    if (giveBack.length > 0) this.wake.signal();
  }

  /** Records the automatic upgrades the last sends made (off the claim-to-send path). */
  private async recordUpgrades(now: number): Promise<void> {
    if (this.upgraded.size === 0) return;
    const targets = [...this.upgraded.values()];
    this.upgraded.clear();
    try {
      await recordAutoUpgrades(this.rt.store, targets, now, this.rt.config.apiVersions, this.rt.log);
    } catch (err) {
      for (const target of targets) this.upgraded.set(target.id, target);
      this.rt.log.error({ err }, 'could not record automatic API version upgrades; trying again on the next pass');
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
