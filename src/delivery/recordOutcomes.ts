import type { Db } from '../store/db.js';
import type { AttemptTarget } from './attemptTarget.js';
import type { AttemptResult as ObservedResult, DeliveryOutcome } from '../util/observer.js';
import { type AttemptResult, classifyOutcome } from './classifyOutcome.js';
import type { PostResult } from './endpointClient.js';
import type { ClaimedDelivery } from './queue/claimDeliveries.js';
import { completeAndLogDeliveries, type LoggedCompletion } from './queue/completeAndLogDeliveries.js';
import { type Completion, completeDeliveries } from './queue/completeDeliveries.js';
import { failDelivery } from './queue/failDelivery.js';
import { type AttemptRecord, recordAttempts } from './queue/recordAttempts.js';
import { recordWebhookHealth } from './queue/recordWebhookHealth.js';
import { releaseDeliveries } from './queue/releaseDeliveries.js';

/** What happened to one claimed delivery: an attempt, or given back untried. */
export type Outcome =
  | {
      delivery: ClaimedDelivery;
      attemptedAt: number;
      result: AttemptResult;
      /** The API major the body was rendered in (none when nothing was sent). */
      major?: number;
      /** Where the request went, secrets out (none when nothing was sent): the attempt row keeps it. */
      sentTo?: AttemptTarget;
    }
  | {
      delivery: ClaimedDelivery;
      /** Given back untried, due again then: the attempt the claim counted is returned. */
      untriedUntil: number;
    };

export interface RecordedOutcomes {
  /** Outcomes whose claim no longer held the delivery: they changed nothing. */
  stale: Outcome[];
  /** Deliveries that became dead, with why. */
  dead: Array<{ delivery: ClaimedDelivery; error: string }>;
  /** Every attempt recorded, with how it ended (for the observer: metrics, logs). */
  finished: Array<{ delivery: ClaimedDelivery; result: ObservedResult; outcome: DeliveryOutcome }>;
}

/**
 * Writes a batch of outcomes in one transaction: completions, failures and give-backs (each
 * guarded by its claim), the attempt log of those that applied, and what they say about their
 * endpoints.
 */
export function recordOutcomes(db: Db, batch: readonly Outcome[], now: number, schedule: readonly number[]): Promise<RecordedOutcomes> {
  if (db.dialect.chainsWrites) {
    const delivered = allDelivered(batch, now, schedule);
    if (delivered) return recordDelivered(db, delivered, now);
  }
  return db.transaction(async (tx) => {
    const applied = new Set<Outcome>();
    const dead: RecordedOutcomes['dead'] = [];
    const untried = new Map<number, Outcome[]>(); // due time → outcomes
    const completions = new Map<number, Outcome>(); // delivery id → its completion
    const classified = new Map<Outcome, ReturnType<typeof classifyOutcome>>();
    for (const outcome of batch) {
      if ('untriedUntil' in outcome) {
        untried.set(outcome.untriedUntil, [...(untried.get(outcome.untriedUntil) ?? []), outcome]);
        continue;
      }
      const verdict = classifyOutcome(outcome.result, outcome.delivery.attempts, schedule, now);
      classified.set(outcome, verdict);
      if (verdict.delivered) {
        completions.set(outcome.delivery.id, outcome);
        continue;
      }
      const error = verdict.error ?? 'failed';
      if (await failDelivery(tx, outcome.delivery, verdict.next, verdict.statusCode, error, outcome.major, now)) {
        applied.add(outcome);
        if (verdict.next === null) dead.push({ delivery: outcome.delivery, error });
      }
    }
    for (const [dueAt, outcomes] of untried) {
      const released = new Set(await releaseDeliveries(tx, outcomes.map((o) => o.delivery), dueAt, now));
      for (const o of outcomes) if (released.has(o.delivery.id)) applied.add(o);
    }
    const done = [...completions.values()].map(
      (o): Completion => ({
        id: o.delivery.id,
        claim_token: o.delivery.claim_token,
        statusCode: classified.get(o)?.statusCode as number,
        major: 'major' in o ? o.major : undefined,
      }),
    );
    for (const id of await completeDeliveries(tx, done, now)) applied.add(completions.get(id) as Outcome);

    const attempts: AttemptRecord[] = [];
    const finished: RecordedOutcomes['finished'] = [];
    const health = { succeeded: new Set<string>(), failing: new Set<string>(), gone: new Set<string>(), broken: new Map<string, string>() };
    for (const outcome of applied) {
      if ('untriedUntil' in outcome) continue;
      const verdict = classified.get(outcome) as ReturnType<typeof classifyOutcome>;
      const sent = 'sent' in outcome.result ? outcome.result.sent : undefined;
      attempts.push({
        deliveryId: outcome.delivery.id,
        claimToken: outcome.delivery.claim_token,
        attemptedAt: outcome.attemptedAt,
        statusCode: sent?.statusCode ?? null,
        durationMs: sent?.durationMs ?? 0,
        responseBody: sent?.body ?? null,
        error: sent ? sent.error : verdict.error,
        sentTo: outcome.sentTo,
      });
      const last = attempts[attempts.length - 1];
      const ended: DeliveryOutcome = verdict.delivered ? 'delivered' : verdict.next === null ? 'dead' : 'failed';
      finished.push({ delivery: outcome.delivery, result: { statusCode: last.statusCode, durationMs: last.durationMs, error: last.error }, outcome: ended });
      const webhookId = outcome.delivery.webhook_id;
      if (verdict.endpoint === 'broken') health.broken.set(webhookId, verdict.error ?? 'configuration error');
      else if (verdict.endpoint === 'gone') health.gone.add(webhookId);
      else if (verdict.endpoint) health[verdict.endpoint].add(webhookId);
    }
    // A success anywhere in the batch ends the webhook's failing run.
    for (const id of health.succeeded) health.failing.delete(id);
    await recordAttempts(tx, attempts);
    await recordWebhookHealth(tx, health, now);
    return { stale: batch.filter((o) => !applied.has(o)), dead, finished };
  });
}

/** An outcome that was sent and succeeded, with its verdict's status code. */
interface Delivered {
  outcome: Outcome & { attemptedAt: number };
  sent: PostResult;
  statusCode: number;
}

/** Every outcome of the batch as a success, or undefined when any is not one (a failure, a give-back) or a delivery comes twice. */
function allDelivered(batch: readonly Outcome[], now: number, schedule: readonly number[]): Delivered[] | undefined {
  const delivered: Delivered[] = [];
  const ids = new Set<number>();
  for (const outcome of batch) {
    if ('untriedUntil' in outcome || !('sent' in outcome.result) || ids.has(outcome.delivery.id)) return undefined;
    ids.add(outcome.delivery.id);
    const verdict = classifyOutcome(outcome.result, outcome.delivery.attempts, schedule, now);
    if (!verdict.delivered) return undefined;
    delivered.push({ outcome, sent: outcome.result.sent, statusCode: verdict.statusCode as number });
  }
  return delivered;
}

/**
 * A batch of nothing but successes, the usual batch at saturation, on an engine that chains
 * writes: one statement, no transaction (completeAndLogDeliveries.ts), the same rows written and
 * the same answer as the transaction above.
 */
async function recordDelivered(db: Db, delivered: readonly Delivered[], now: number): Promise<RecordedOutcomes> {
  const done = delivered.map(
    ({ outcome, sent, statusCode }): LoggedCompletion => ({
      id: outcome.delivery.id,
      claim_token: outcome.delivery.claim_token,
      statusCode,
      major: 'major' in outcome ? outcome.major : undefined,
      attemptedAt: outcome.attemptedAt,
      durationMs: sent.durationMs,
      responseBody: sent.body,
      error: sent.error,
      sentTo: 'sentTo' in outcome ? outcome.sentTo : undefined,
    }),
  );
  const applied = new Set(await completeAndLogDeliveries(db, done, now));
  const finished: RecordedOutcomes['finished'] = [];
  const stale: Outcome[] = [];
  for (const { outcome, sent } of delivered) {
    if (!applied.has(outcome.delivery.id)) stale.push(outcome);
    else finished.push({ delivery: outcome.delivery, result: { statusCode: sent.statusCode, durationMs: sent.durationMs, error: sent.error }, outcome: 'delivered' });
  }
  return { stale, dead: [], finished };
}
