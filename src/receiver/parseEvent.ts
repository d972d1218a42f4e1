import type { EventBodiesV1, EventBodiesV2, EventType } from './eventTypes.generated.js';
import { type HeadersLike, headerValue } from './verify.js';

export type { EventBodiesV1, EventBodiesV2, EventType } from './eventTypes.generated.js';

const EVENT_TYPES: readonly EventType[] = ['CONNECTIVITY_STATUS', 'APPLIANCE_STATUS', 'CONTRACT_STATUS', 'DATA_POINT', 'DAILY_AGGREGATE'];

/** What every parsed event has, whatever its major. */
interface EventHead<M extends 1 | 2, T extends EventType> {
  /** The API major the body is in (`x-api-version`). */
  major: M;
  type: T;
  /** The event id (`webhook-id`; `id` in major 2): de-duplicate on it. */
  id: string;
  gatewayId: string;
  /**
   * Gap-free per (webhook, gateway) from 1 (`webhook-sequence`; `sequence` in major 2); 0 on test
   * events. Undefined for events from the catch-up API, which belong to no webhook.
   */
  sequence: number | undefined;
  /** The body as sent, typed by the published schema of its type and major. */
  body: M extends 1 ? EventBodiesV1[T] : EventBodiesV2[T];
}

/**
 * A Hearthook event, discriminated by `major` and `type`:
 * `if (e.major === 2 && e.type === 'DATA_POINT') e.body.data.value`.
 */
export type HearthookEvent =
  | { [T in EventType]: EventHead<1, T> }[EventType]
  | { [T in EventType]: EventHead<2, T> }[EventType];

/** The body is not a Hearthook event of a major this SDK knows. */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

/**
 * Parses a delivery's body (verify it first) into a typed event, by its `x-api-version` major.
 * Checks the fields the union is discriminated by, not every field: minors add fields, and
 * receivers must ignore the ones they do not know.
 *
 * @example
 * const event = parseEvent(rawBody, request.headers);
 * if (event.major === 2 && event.type === 'CONNECTIVITY_STATUS') console.log(event.body.data.connectivityStatus);
 */
export function parseEvent(body: string | Uint8Array | object, headers: HeadersLike): HearthookEvent {
  const version = headerValue(headers, 'x-api-version') ?? '';
  const major = Number(version.split('.')[0]);
  if (major !== 1 && major !== 2) throw new InvalidEventError(`x-api-version "${version}" is not a major this SDK reads (1, 2)`);
  const json = typeof body === 'string' || body instanceof Uint8Array ? parseJson(body) : body;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidEventError('the body is not a JSON object');
  const fields = json as Record<string, unknown>;
  const type = (major === 1 ? fields.eventType : fields.type) as EventType;
  if (!EVENT_TYPES.includes(type)) throw new InvalidEventError(`unknown event type ${JSON.stringify(type)}`);
  if (typeof fields.gatewayId !== 'string') throw new InvalidEventError('gatewayId is missing');
  if (major === 2 && (typeof fields.data !== 'object' || fields.data === null)) throw new InvalidEventError('data is missing');
  const id = major === 2 ? fields.id : headerValue(headers, 'webhook-id');
  if (typeof id !== 'string' || id === '') throw new InvalidEventError(major === 2 ? 'id is missing' : 'the webhook-id header is missing');
  const sequenceText = headerValue(headers, 'webhook-sequence');
  const sequence = major === 2 ? fields.sequence : sequenceText === undefined ? undefined : Number(sequenceText);
  if (sequence !== undefined && !(Number.isSafeInteger(sequence) && (sequence as number) >= 0)) {
    throw new InvalidEventError('sequence is not a whole number');
  }
  return { major, type, id, gatewayId: fields.gatewayId, sequence, body: json } as HearthookEvent;
}

function parseJson(body: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body));
  } catch {
    throw new InvalidEventError('the body is not JSON');
  }
}
