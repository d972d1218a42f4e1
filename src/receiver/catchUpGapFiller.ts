import type { HearthookEvent } from './parseEvent.js';
import type { Gap } from './sequenceTracker.js';

export interface CatchUpOptions {
  /** The Hearthook's base URL, e.g. `https://hearthook.example`. */
  baseUrl: string;
  /** A partner API key (`xHCSAPI…`). */
  apiKey: string;
  /** The event types the webhook is subscribed to (a gap holds only those). */
  eventTypes: readonly string[];
  fetch?: typeof fetch;
}

interface Envelope {
  id: string;
  type: string;
  gatewayId: string;
  [field: string]: unknown;
}

/**
 * A `fillGap` for `SequenceTracker` reading the catch-up API (`GET /v1/events`): the gateway's
 * events of the webhook's types after the last one applied and before the one that arrived
 * after the gap. Catch-up lists them in the order their sequences were given, so they are
 * numbered from the gap's start. If their number is not the gap's size (the consent or the
 * webhook's types changed in between), it fills nothing and the gap is reported instead.
 *
 * @example
 * new SequenceTracker({ fillGap: catchUpGapFiller({ baseUrl, apiKey, eventTypes: webhook.eventTypes }) });
 */
export function catchUpGapFiller(options: CatchUpOptions): (gap: Gap) => Promise<HearthookEvent[]> {
  const doFetch = options.fetch ?? fetch;
  return async (gap) => {
    const found: Envelope[] = [];
    let started = gap.afterId === null;
    let after: string | undefined;
    for (;;) {
      const url = new URL('/v1/events', options.baseUrl);
      url.searchParams.set('gatewayId', gap.gatewayId);
      url.searchParams.set('limit', '1000');
      if (after) url.searchParams.set('after', after);
      const response = await doFetch(url, { headers: { 'x-api-key': options.apiKey } });
      if (!response.ok) throw new Error(`GET ${url.pathname}: ${response.status} ${await response.text()}`);
      const page = (await response.json()) as { data: Envelope[]; nextCursor: string | null; hasMore: boolean };
      for (const event of page.data) {
        if (event.id === gap.beforeId) return numbered(found, gap);
        if (started && options.eventTypes.includes(event.type)) found.push(event);
        if (event.id === gap.afterId) started = true;
      }
      if (!page.hasMore || page.nextCursor === null) return [];
      after = page.nextCursor;
    }
  };
}

function numbered(found: Envelope[], gap: Gap): HearthookEvent[] {
  if (found.length !== gap.to - gap.from + 1) return [];
  return found.map((envelope, i) => {
    const sequence = gap.from + i;
    return { major: 2, type: envelope.type, id: envelope.id, gatewayId: envelope.gatewayId, sequence, body: { ...envelope, sequence } } as HearthookEvent;
  });
}
