import type { ClaimedDelivery } from './queue/claimDeliveries.js';
import type { Outcome } from './recordOutcomes.js';

/**
 * Called by the dispatcher at each step of a delivery, for tests: a hook that throws is a
 * fault at that step, one that awaits is a pause (a stalled node), one that never settles is a
 * crash. Production passes none. The observers (`claimed`, `stale`) only watch.
 *
 * @example new Dispatcher(rt, { hooks: { post: (d) => { if (d.webhook_id === flaky) throw new Error('socket hang up'); } } })
 */
export interface DispatchHooks {
  /** Before the claim statement. */
  claim?(): Promise<void> | void;
  /** Before a claimed batch's events and webhooks are loaded. */
  loadTargets?(): Promise<void> | void;
  /** Before a webhook's secrets are decrypted (a throw: this webhook cannot be decrypted). */
  decrypt?(webhookId: string): void;
  /** Before a delivery's request is rendered and signed. */
  render?(delivery: ClaimedDelivery): void;
  /** Before a delivery is POSTed. */
  post?(delivery: ClaimedDelivery): Promise<void> | void;
  /** Before a batch of outcomes is written (a throw: the write failed). */
  writeOutcomes?(batch: readonly Outcome[]): Promise<void> | void;
  /** After a claim: which deliveries it holds. */
  claimed?(deliveries: readonly ClaimedDelivery[]): void;
  /** After outcomes were refused because their claim no longer held the delivery. */
  stale?(outcomes: readonly Outcome[]): void;
}
