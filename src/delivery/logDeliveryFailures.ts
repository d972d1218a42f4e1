import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import type { DeliveryIds } from '../api/deliveryIds.js';
import type { Clock } from '../util/clock.js';
import type { DeliveryOutcome, Observer } from '../util/observer.js';

/** At most one line per webhook and kind per this long: a dead endpoint fails every delivery sent to it. */
export const FAILURE_LOG_WINDOW_MS = 60_000;

/** Windows remembered; one forgotten early only costs an extra line. */
const MAX_WINDOWS = 20_000;

const MESSAGES: Record<Exclude<DeliveryOutcome, 'delivered'>, string> = { failed: 'delivery failed', dead: 'delivery is dead' };

interface Window {
  since: number;
  suppressed: number;
}

/**
 * Logs failed attempts (`delivery failed`) and deliveries that died (`delivery is dead`) at
 * `warn`, at most one line of each kind per webhook per window: the first of a window is logged
 * with `suppressed`, the lines of that kind left out since the webhook's previous one. A
 * delivery is named by its public `dlv_` id, as the API and the console name it, once `ids` has
 * loaded (the integer key until then).
 *
 * @example
 * logDeliveryFailures(rt.observer, rt.log, rt.clock, deliveryIds(rt.store));
 * // {"level":40,"webhookId":"wh_…","deliveryId":"dlv_…","attempt":3,"statusCode":503,"error":"HTTP 503","outcome":"failed","suppressed":41,"msg":"delivery failed"}
 */
export function logDeliveryFailures(
  observer: Observer,
  log: Logger,
  clock: Clock,
  ids?: Promise<DeliveryIds>,
  windowMs = FAILURE_LOG_WINDOW_MS,
): () => void {
  const windows = new LRUCache<string, Window>({ max: MAX_WINDOWS });
  let codec: DeliveryIds | undefined;
  ids?.then(
    (loaded) => {
      codec = loaded;
    },
    (err) => log.warn({ err }, 'delivery failures are logged with internal delivery ids: the public id key did not load'),
  );
  return observer.subscribe({
    deliveryFinished(delivery, result, outcome) {
      if (outcome === 'delivered') return;
      const now = clock.now();
      const key = `${outcome} ${delivery.webhook_id}`;
      const window = windows.get(key);
      if (window && now - window.since < windowMs) {
        window.suppressed++;
        return;
      }
      log.warn(
        {
          webhookId: delivery.webhook_id,
          deliveryId: codec ? codec.encode(Number(delivery.id)) : delivery.id,
          attempt: delivery.attempts,
          statusCode: result.statusCode,
          error: result.error ?? `HTTP ${result.statusCode}`,
          outcome,
          suppressed: window?.suppressed ?? 0,
        },
        MESSAGES[outcome],
      );
      windows.set(key, { since: now, suppressed: 0 });
    },
  });
}
