import type { StoredEvent } from '../versions/renderEvent.js';
import type { Admission } from './endpointHealth.js';
import type { Target } from './loadDeliveryTargets.js';
import type { ClaimedDelivery } from './queue/claimDeliveries.js';

/** A claimed delivery waiting for its endpoint to have room; given back untried after `startBy`. */
export interface Held {
  delivery: ClaimedDelivery;
  event: StoredEvent;
  target: Target;
  startBy: number;
}

/**
 * Claimed deliveries whose endpoint is at its in-flight limit, per webhook, in claim order, sent
 * as its requests finish. Giving them back to claim them again cost more than sending them:
 * draining 20,000 deliveries to two endpoints claimed 70,900 rows and gave back 51,500 (npm run
 * bench). Bounded by the dispatcher's in-flight limit, which counts them. With ordering GATEWAY
 * the claim takes at most one delivery of a (webhook, gateway) at a time (the next one waits
 * until this one is recorded delivered or dead), so nothing held here can overtake another of
 * its gateway.
 */
export class HeldDeliveries {
  private readonly queues = new Map<string, Held[]>();

  add(held: Held): void {
    const queue = this.queues.get(held.delivery.webhook_id);
    if (queue) queue.push(held);
    else this.queues.set(held.delivery.webhook_id, [held]);
  }

  /**
   * Takes what may go now: per webhook, while `admit` says go, the oldest held. Gives back (with
   * when they are due) those of an endpoint whose circuit opened, and those held past `startBy`.
   */
  take(now: number, admit: (webhookId: string) => Admission): { start: Held[]; giveBack: Array<{ held: Held; dueAt: number }> } {
    const start: Held[] = [];
    const giveBack: Array<{ held: Held; dueAt: number }> = [];
    for (const [webhookId, queue] of this.queues) {
      while (queue.length > 0 && queue[0].startBy > now) {
        const admission = admit(webhookId);
        if (admission === 'busy') break;
        if (admission !== 'go') {
          for (const held of queue.splice(0)) giveBack.push({ held, dueAt: admission.openUntil });
          break;
        }
        start.push(queue.shift() as Held);
      }
      for (const held of queue.filter((h) => h.startBy <= now)) giveBack.push({ held, dueAt: now });
      const waiting = queue.filter((h) => h.startBy > now);
      if (waiting.length > 0) this.queues.set(webhookId, waiting);
      else this.queues.delete(webhookId);
    }
    return { start, giveBack };
  }

  /** Takes every held delivery (at shutdown: they go back untried). */
  takeAll(): Held[] {
    const all = [...this.queues.values()].flat();
    this.queues.clear();
    return all;
  }
}
