import type { DeliveryOutcome, Observer } from '../util/observer.js';

/** How long the delivery thread gathers observer events before sending them on. */
const RELAY_EVERY_MS = 50;
const OUTCOMES: readonly DeliveryOutcome[] = ['delivered', 'failed', 'dead'];
/** Numbers per delivery in `ObservedBatch.deliveries`. */
const FIELDS = 6;

/**
 * What the delivery thread's observer heard over RELAY_EVERY_MS, packed so that posting it costs
 * one copy of two buffers, not a structured clone of an object per delivery (that was 4% of the
 * delivery thread's time: npm run bench, profile).
 */
export interface ObservedBatch {
  /** Per delivery: index into `webhooks`, delivery id, attempts, status code (-1: none), duration ms, index into OUTCOMES. */
  deliveries: Float64Array;
  webhooks: string[];
  /** [delivery index, error] for the deliveries that have one. */
  errors: [number, string][];
  /** Transaction durations, ms. */
  transactions: Float64Array;
}

/**
 * On the delivery thread: listens to `observer` and hands `post` a batch every RELAY_EVERY_MS
 * while events arrive. Returns the function that sends what is gathered at once (at stop).
 */
export function relayObserver(observer: Observer, post: (batch: ObservedBatch) => void): () => void {
  let numbers: number[] = [];
  let webhooks = new Map<string, number>();
  let errors: [number, string][] = [];
  let transactions: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (numbers.length === 0 && transactions.length === 0) return;
    post({ deliveries: Float64Array.from(numbers), webhooks: [...webhooks.keys()], errors, transactions: Float64Array.from(transactions) });
    numbers = [];
    webhooks = new Map();
    errors = [];
    transactions = [];
  };
  const soon = () => {
    timer ??= setTimeout(flush, RELAY_EVERY_MS);
  };
  observer.subscribe({
    deliveryFinished(delivery, result, outcome) {
      let webhook = webhooks.get(delivery.webhook_id);
      if (webhook === undefined) {
        webhook = webhooks.size;
        webhooks.set(delivery.webhook_id, webhook);
      }
      if (result.error) errors.push([numbers.length / FIELDS, result.error]);
      numbers.push(webhook, Number(delivery.id), delivery.attempts, result.statusCode ?? -1, result.durationMs, OUTCOMES.indexOf(outcome));
      soon();
    },
    transaction(ms) {
      transactions.push(ms);
      soon();
    },
  });
  return flush;
}

/** On the main thread: tells `observer` what the delivery thread's observer heard. */
export function replayObserved(batch: ObservedBatch, observer: Observer): void {
  const { deliveries: d, webhooks } = batch;
  const errors = new Map(batch.errors);
  for (let i = 0; i < d.length / FIELDS; i++) {
    const at = i * FIELDS;
    observer.deliveryFinished(
      { webhook_id: webhooks[d[at]], id: d[at + 1], attempts: d[at + 2] },
      { statusCode: d[at + 3] === -1 ? null : d[at + 3], durationMs: d[at + 4], error: errors.get(i) ?? null },
      OUTCOMES[d[at + 5]],
    );
  }
  for (const ms of batch.transactions) observer.transaction(ms);
}
