import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../util/clock.js';
import type { Observer } from '../util/observer.js';

/** At most one line per webhook per this long: a dead endpoint fails every delivery sent to it. */
export const FAILURE_LOG_WINDOW_MS = 60_000;

/** Webhooks whose window is remembered; one forgotten early only costs an extra line. */
const MAX_WEBHOOKS = 10_000;

interface Window {
  since: number;
  suppressed: number;
}

/**
 * Logs failed delivery attempts at `warn`, at most one line per webhook per window: the first
 * failure of a window is logged with `suppressed`, the failures left unlogged since that
 * webhook's previous line. Returns the function that stops it.
 *
 * @example
 * logDeliveryFailures(rt.observer, rt.log, rt.clock);
 * // {"level":40,"webhookId":"wh_…","deliveryId":17,"attempt":3,"statusCode":503,"error":"HTTP 503","outcome":"failed","suppressed":41,"msg":"delivery failed"}
 */
export function logDeliveryFailures(observer: Observer, log: Logger, clock: Clock, windowMs = FAILURE_LOG_WINDOW_MS): () => void {
  const windows = new LRUCache<string, Window>({ max: MAX_WEBHOOKS });
  return observer.subscribe({
    deliveryFinished(delivery, result, outcome) {
      if (outcome === 'delivered') return;
      const now = clock.now();
      const window = windows.get(delivery.webhook_id);
      if (window && now - window.since < windowMs) {
        window.suppressed++;
        return;
      }
      log.warn(
        {
          webhookId: delivery.webhook_id,
          deliveryId: delivery.id,
          attempt: delivery.attempts,
          statusCode: result.statusCode,
          error: result.error ?? `HTTP ${result.statusCode}`,
          outcome,
          suppressed: window?.suppressed ?? 0,
        },
        'delivery failed',
      );
      windows.set(delivery.webhook_id, { since: now, suppressed: 0 });
    },
  });
}
