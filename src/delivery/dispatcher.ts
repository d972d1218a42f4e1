import type { Runtime } from '../runtime.js';
import { recordAutoUpgrades } from '../versions/autoUpgrade.js';
import { effectiveMajor } from '../versions/registry.js';
import type { StoredEvent } from '../versions/renderEvent.js';
import { AddressPolicy } from './addressPolicy.js';
import { buildRequest } from './buildRequest.js';
import { EndpointClient, type PostResult } from './endpointClient.js';
import { EndpointHealth } from './endpointHealth.js';
import { DeliveryTargets, type Target } from './loadDeliveryTargets.js';
import { type ClaimedDelivery, claimDeliveries } from './queue/claimDeliveries.js';
import { type Completion, completeDeliveries } from './queue/completeDeliveries.js';
import { deferWebhookDeliveries } from './queue/deferWebhookDeliveries.js';
import { failDelivery } from './queue/failDelivery.js';
import { hasDueWork } from './queue/hasDueWork.js';
import { type AttemptRecord, recordAttempts } from './queue/recordAttempts.js';
import { releaseDeliveries } from './queue/releaseDeliveries.js';
import { nextAttemptAt, parseRetryAfter } from './retryPolicy.js';

/** An endpoint at its in-flight limit that has finished nothing for this long is stalled. */
const STALLED_AFTER_MS = 1000;

/** A claimed delivery waiting for its endpoint to have room; given back untried after `startBy`. */
interface Held {
  delivery: ClaimedDelivery;
  event: StoredEvent;
  target: Target;
  startBy: number;
}

interface Outcome {
  delivery: ClaimedDelivery;
  result: PostResult;
  attemptedAt: number;
  /** No point retrying: the event or webhook is gone. */
  final?: boolean;
  /** The API major the body was rendered in (none when nothing was sent). */
  major?: number;
}

/**
 * Claims due deliveries in batches, POSTs them concurrently, and records outcomes and attempts
 * in batches: one claim statement per up to `claimBatchSize` rows and one transaction per group
 * of outcomes, so the database is not touched per delivery (DESIGN.md, "Where the time goes").
 * Polling keeps it correct; `store.onWork` only cuts the idle sleep short.
 */
export class Dispatcher {
  /** Shared with the API's test sends, so both go through the same address checks. */
  readonly client: EndpointClient;
  private readonly targets: DeliveryTargets;
  /** Per-endpoint in-flight limits and circuit breakers: one bad endpoint slows no other. */
  readonly health: EndpointHealth;
  /** Claimed and not yet recorded: being sent, or held in `held`. */
  private readonly inFlight = new Map<number, ClaimedDelivery>();
  /**
   * Claimed deliveries whose endpoint is at its in-flight limit, per webhook, sent as its
   * requests finish. Giving them back to claim them again cost more than sending them: draining
   * 20,000 deliveries to two endpoints claimed 70,900 rows and gave back 51,500 (npm run bench).
   */
  private readonly held = new Map<string, Held[]>();
  /** When each open circuit's queued deliveries were last moved past its end. */
  private readonly deferredAt = new Map<string, number>();
  private outcomes: Outcome[] = [];
  private stopping = false;
  private readonly waiters = new Set<() => void>();
  private signalled = false;
  private loop: Promise<void> | undefined;
  private loopDied = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly rt: Runtime) {
    this.client = new EndpointClient(new AddressPolicy(rt.config.allowPrivateNetworks), rt.config.deliveryTimeoutMs);
    this.targets = new DeliveryTargets(rt.encrypter, rt.clock);
    this.health = new EndpointHealth({
      maxInFlight: rt.config.endpointMaxInFlight,
      failureThreshold: rt.config.circuitFailureThreshold,
      openMs: rt.config.circuitOpenMs,
      maxOpenMs: Math.max(rt.config.circuitOpenMs, 600_000),
    });
  }

  start(): void {
    this.unsubscribe = this.rt.store.onWork(() => this.signal());
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
   * Stops claiming, waits up to `graceMs` for requests in flight, records what finished, and
   * gives back the rest untried.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.signal();
    await this.loop;
    this.unsubscribe?.();
    await this.releaseHeld(() => true); // untried: back to the queue at once
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await this.waitForSignal(Math.max(0, deadline - Date.now()));
      await this.flush();
    }
    await this.flush();
    const unfinished = [...this.inFlight.keys()];
    const now = this.rt.clock.now();
    await releaseDeliveries(this.rt.store, unfinished, now, now);
    if (unfinished.length) this.rt.log.warn({ released: unfinished.length }, 'released unfinished deliveries at shutdown');
    await this.client.close();
  }

  /** One pass: record finished outcomes, claim and start what fits. Returns how many it claimed. */
  async tick(): Promise<number> {
    await this.flush();
    const { claimBatchSize, maxInFlight } = this.rt.config;
    const room = Math.min(claimBatchSize, maxInFlight - this.inFlight.size);
    if (room <= 0 || this.stopping) return 0;
    const now = this.rt.clock.now();
    const leaseUntil = now + this.leaseMs();
    await this.deferOpenCircuits(now);
    const blocked = this.health.blocked(now);
    // With endpoints blocked, the claim walks all their due rows in order to find others' rows:
    // 46 ms at 100,000 rows, for nothing when there are none. One index probe per webhook first.
    if (blocked.length > 0 && !(await hasDueWork(this.rt.store, now, blocked))) return 0;
    const claimed = await claimDeliveries(this.rt.store, now, leaseUntil, room, blocked);
    if (claimed.length === 0) return 0;
    const events = await this.targets.events(this.rt.store, claimed.map((d) => d.event_id));
    const webhooks = await this.targets.webhooks(this.rt.store, claimed.map((d) => d.webhook_id));
    await recordAutoUpgrades(this.rt.store, webhooks.values(), now, this.rt.config.apiVersions, this.rt.log);
    const giveBack = new Map<number, number[]>(); // due time → deliveries to give back untried
    for (const delivery of claimed) {
      const event = events.get(delivery.event_id);
      const target = webhooks.get(delivery.webhook_id);
      const attemptedAt = this.rt.clock.now();
      if (!event || !target) {
        const reason = event ? 'the webhook no longer exists' : 'the event no longer exists';
        this.inFlight.set(delivery.id, delivery);
        this.outcomes.push({ delivery, result: missing(reason), attemptedAt, final: true });
        continue;
      }
      const admission = this.health.admit(delivery.webhook_id, attemptedAt);
      if (admission === 'go') {
        this.dispatch(delivery, event, target, attemptedAt);
      } else if (admission === 'busy') {
        // Started within two timeouts of the claim, it ends within three: inside the lease of four.
        this.hold({ delivery, event, target, startBy: now + 2 * this.rt.config.deliveryTimeoutMs });
      } else {
        giveBack.set(admission.openUntil, [...(giveBack.get(admission.openUntil) ?? []), delivery.id]);
      }
    }
    for (const [due, ids] of giveBack) await releaseDeliveries(this.rt.store, ids, due, now);
    return claimed.length;
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
    for (const webhookId of this.health.stalled(now, STALLED_AFTER_MS)) open.push([webhookId, now + STALLED_AFTER_MS]);
    for (const id of this.deferredAt.keys()) if (!open.some(([openId]) => openId === id)) this.deferredAt.delete(id);
    for (const [webhookId, openUntil] of open) {
      if (now - (this.deferredAt.get(webhookId) ?? 0) < 1000) continue;
      this.deferredAt.set(webhookId, now);
      await deferWebhookDeliveries(this.rt.store, webhookId, openUntil, now);
    }
  }

  private dispatch(delivery: ClaimedDelivery, event: StoredEvent, target: Target, attemptedAt: number): void {
    this.inFlight.set(delivery.id, delivery);
    // Each attempt renders the webhook's effective major now, retries too (registry.ts says why).
    const major = effectiveMajor(target.apiVersion, attemptedAt, this.rt.config.apiVersions);
    this.send(delivery, event, target, major).then((result) => {
      this.outcomes.push({ delivery, result, attemptedAt, major });
      this.signal();
    });
  }

  private hold(held: Held): void {
    this.inFlight.set(held.delivery.id, held.delivery);
    const queue = this.held.get(held.delivery.webhook_id);
    if (queue) queue.push(held);
    else this.held.set(held.delivery.webhook_id, [held]);
  }

  /**
   * Sends held deliveries whose endpoint has room again. Gives back those of an endpoint whose
   * circuit opened (due when it may close) and those held past `startBy` (due now).
   */
  private async startHeld(now: number): Promise<void> {
    for (const [webhookId, queue] of this.held) {
      while (queue.length > 0 && queue[0].startBy > now) {
        const admission = this.health.admit(webhookId, now);
        if (admission === 'busy') break;
        if (admission !== 'go') {
          await this.releaseHeld((h) => h.delivery.webhook_id === webhookId, admission.openUntil);
          break;
        }
        const { delivery, event, target } = queue.shift()!;
        this.dispatch(delivery, event, target, now);
      }
      if (queue.length === 0) this.held.delete(webhookId);
    }
    await this.releaseHeld((h) => h.startBy <= now);
  }

  /** Gives back the held deliveries that match, untried, due at `dueAt` (now by default). */
  private async releaseHeld(match: (h: Held) => boolean, dueAt = this.rt.clock.now()): Promise<void> {
    const ids: number[] = [];
    for (const [webhookId, queue] of this.held) {
      const keep = queue.filter((h) => !match(h));
      for (const h of queue) if (match(h)) ids.push(h.delivery.id);
      if (keep.length > 0) this.held.set(webhookId, keep);
      else this.held.delete(webhookId);
    }
    if (ids.length === 0) return;
    for (const id of ids) this.inFlight.delete(id);
    await releaseDeliveries(this.rt.store, ids, dueAt, this.rt.clock.now());
  }

  /** Resolves when nothing is in flight and every outcome is recorded (for tests and drains). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.outcomes.length > 0) {
      await this.waitForSignal(50);
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
      await this.waitForSignal(this.rt.config.pollIntervalMs);
      // Let a few more outcomes land before writing them in one transaction.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private signal(): void {
    // Nobody waiting: the loop is busy with a pass. Keep the signal for its next wait, or
    // outcomes and new work that arrived during the pass would sleep until the poll (on
    // PostgreSQL, where a pass awaits the network, that was most of the time: npm run bench).
    if (this.waiters.size === 0) this.signalled = true;
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }

  private waitForSignal(ms: number): Promise<void> {
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      this.waiters.add(done);
    });
  }

  private leaseMs(): number {
    // Several times the HTTP timeout: a live worker always finishes and records before expiry.
    return this.rt.config.deliveryTimeoutMs * 4;
  }

  private send(delivery: ClaimedDelivery, event: StoredEvent, target: Target, major: number): Promise<PostResult> {
    const { url, headers, body } = buildRequest(event, target, delivery.sequence, major, this.rt.clock.now(), this.rt.config.apiVersions);
    return this.client.post(url, headers, body);
  }

  /** Writes the outcomes gathered so far: attempts, completions and failures in one transaction. */
  private async flush(): Promise<void> {
    if (this.outcomes.length === 0) return;
    const batch = this.outcomes;
    this.outcomes = [];
    const now = this.rt.clock.now();
    const { retrySchedule } = this.rt.config;
    const attempts: AttemptRecord[] = [];
    const delivered: Completion[] = [];
    const gone = new Set<string>();
    const opened = new Map<string, number>();
    // Endpoint health (failing_since): any success in the batch ends a webhook's failing run.
    const succeeded = new Set<string>();
    const failed = new Set<string>();
    await this.rt.store.transaction(async (tx) => {
      for (const { delivery, result, attemptedAt, final, major } of batch) {
        const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
        if (!final) {
          (ok ? succeeded : failed).add(delivery.webhook_id);
          const openUntil = this.health.settle(delivery.webhook_id, ok, now);
          if (openUntil !== null) opened.set(delivery.webhook_id, openUntil);
        }
        attempts.push({
          deliveryId: delivery.id,
          attemptedAt,
          statusCode: result.statusCode,
          durationMs: result.durationMs,
          responseBody: result.body,
          error: result.error,
        });
        const code = result.statusCode;
        if (ok) {
          delivered.push({ id: delivery.id, statusCode: code as number, major });
          this.rt.observer.deliveryFinished(delivery, result, 'delivered');
          continue;
        }
        let next: number | null;
        let error = result.error ?? `HTTP ${code}`;
        if (final) {
          next = null;
        } else if (code === 410) {
          next = null;
          error = 'HTTP 410 Gone: the endpoint asked to be removed; webhook disabled';
          gone.add(delivery.webhook_id);
        } else {
          if (code !== null && code >= 300 && code < 400) error = `HTTP ${code}: redirects are not followed`;
          const retryAfter = code === 429 || code === 503 ? parseRetryAfter(result.headers['retry-after'], now) : undefined;
          next = nextAttemptAt(retrySchedule, delivery.attempts, now, retryAfter);
        }
        await failDelivery(tx, delivery.id, next, code, error, major, now);
        this.rt.observer.deliveryFinished(delivery, result, next === null ? 'dead' : 'failed');
        if (next === null) this.rt.log.warn({ deliveryId: delivery.id, webhookId: delivery.webhook_id, error }, 'delivery is dead');
      }
      if (delivered.length) await completeDeliveries(tx, delivered, now);
      await recordAttempts(tx, attempts);
      for (const [webhookId, until] of opened) {
        const deferred = await deferWebhookDeliveries(tx, webhookId, until, now);
        this.rt.log.warn({ webhookId, until: new Date(until).toISOString(), deferred }, 'endpoint circuit opened after repeated failures');
      }
      // One statement each per batch, not per delivery: a success ends a failing run, a batch of
      // only failures starts one where none is running (the disable job reads failing_since).
      if (succeeded.size) {
        await tx.run(`UPDATE webhooks SET failing_since = NULL WHERE failing_since IS NOT NULL AND id IN (${tx.dialect.jsonTextList})`, [
          JSON.stringify([...succeeded]),
        ]);
      }
      const failing = [...failed].filter((id) => !succeeded.has(id));
      if (failing.length) {
        await tx.run(`UPDATE webhooks SET failing_since = ? WHERE failing_since IS NULL AND id IN (${tx.dialect.jsonTextList})`, [
          now,
          JSON.stringify(failing),
        ]);
      }
      for (const webhookId of gone) {
        await tx.run(
          "UPDATE webhooks SET enabled = 0, disabled_at = ?, disabled_reason = 'the endpoint answered 410 Gone', updated_at = ? WHERE id = ?",
          [now, now, webhookId],
        );
        this.rt.log.warn({ webhookId }, 'webhook disabled: its endpoint answered 410 Gone');
      }
    });
    for (const { delivery } of batch) this.inFlight.delete(delivery.id);
    if (!this.stopping) await this.startHeld(now);
  }
}

function missing(reason: string): PostResult {
  return { statusCode: null, headers: {}, body: null, error: reason, durationMs: 0 };
}
