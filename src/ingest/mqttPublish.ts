import { createHash } from 'node:crypto';
import type { FieldError } from '../api/httpError.js';
import type { GatewayMessage } from '../rules/messages.js';
import { checkIngestBody, type RawMessage } from './messageSchema.js';
import { type RejectReason, reasonOfInvalid } from './rejectReasons.js';


/** One PUBLISH as Hearthook received it from the broker. */
export interface Publish {
  topic: string;
  payload: Buffer;
  /** The MQTT packet id (QoS 1), meaningful only within this node's broker session. */
  packetId?: number;
  /** The broker's DUP flag: it sent this packet before and had no PUBACK for it. */
  dup: boolean;
}

/** A publish that checked out: its messages, each with a messageId (given or derived). */
export interface Accepted {
  ok: true;
  gatewayId: string;
  messages: GatewayMessage[];
  /** The stable part of the derived ids: `mqtt:<hash>:<packetId>:`. */
  derivedPrefix: string;
}

export interface Rejected {
  ok: false;
  gatewayId: string | null;
  reason: RejectReason;
  errors: FieldError[];
}

/**
 * The gateway id of a topic `<prefix>/<gatewayId>/messages`, or null if the topic is not one.
 *
 * @example gatewayOfTopic('hearthook/gateways', 'hearthook/gateways/101506113/messages') // '101506113'
 */
export function gatewayOfTopic(prefix: string, topic: string): string | null {
  if (!topic.startsWith(`${prefix}/`) || !topic.endsWith('/messages')) return null;
  const gatewayId = topic.slice(prefix.length + 1, -'/messages'.length);
  return gatewayId.length > 0 && !gatewayId.includes('/') ? gatewayId : null;
}

/**
 * Reads a publish the way `POST /v1/ingest` reads a body (one message or an array; the same
 * checker), with the gateway taken from the topic: filled in where a message leaves it out, and
 * a mismatch when it names another. A message without a messageId gets one derived from the
 * packet (see `derivedPrefix`), built from `firstSeen` (ms, base 36) so that a redelivery can
 * be given the same id (`redeliveredIds`).
 */
export function readPublish(prefix: string, publish: Publish, firstSeen: string): Accepted | Rejected {
  const gatewayId = gatewayOfTopic(prefix, publish.topic);
  if (gatewayId === null) {
    return { ok: false, gatewayId: null, reason: 'gateway-mismatch', errors: [{ field: '/topic', message: `must be ${prefix}/<gatewayId>/messages` }] };
  }
  let body: unknown;
  try {
    body = JSON.parse(publish.payload.toString('utf8'));
  } catch (err) {
    return { ok: false, gatewayId, reason: 'invalid-json', errors: [{ field: '/payload', message: `is not JSON: ${(err as Error).message}` }] };
  }
  const raw = Array.isArray(body) ? body : [body];
  // The topic names the gateway; a payload may leave it out, or name the same one.
  const mismatches: FieldError[] = [];
  for (const [i, m] of raw.entries()) {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) continue;
    const message = m as Record<string, unknown>;
    if (message.gatewayId === undefined) message.gatewayId = gatewayId;
    else if (message.gatewayId !== gatewayId) {
      mismatches.push({ field: field(body, i, 'gatewayId'), message: `must be ${gatewayId}, the gateway of the topic` });
    }
  }
  if (mismatches.length > 0) return { ok: false, gatewayId, reason: 'gateway-mismatch', errors: mismatches };
  const errors = checkIngestBody(body).map((e) => ({ field: e.field.replace(/^\/body/, '/payload'), message: e.message }));
  if (errors.length > 0) {
    return { ok: false, gatewayId, reason: reasonOfInvalid(errors), errors };
  }
  const derivedPrefix = `mqtt:${payloadHash(publish)}:${publish.packetId ?? 0}:`;
  const messages = (raw as RawMessage[]).map((m, i) => {
    const message = m as unknown as GatewayMessage;
    if (m.sentAt !== undefined) message.sentAt = Date.parse(m.sentAt);
    if (m.messageId === undefined) message.messageId = `${derivedPrefix}${firstSeen}:${i}`;
    return message;
  });
  return { ok: true, gatewayId, messages, derivedPrefix };
}

/**
 * The key a rejected publish is listed under: its messageId when it has exactly one, else a hash
 * of topic and payload (a redelivery has the same bytes).
 */
export function rejectionKey(publish: Publish): string {
  try {
    const body = JSON.parse(publish.payload.toString('utf8'));
    if (typeof body?.messageId === 'string') return body.messageId;
  } catch {
    // not JSON: the hash below
  }
  return `mqtt:${payloadHash(publish)}`;
}

/** 128 bits of sha256 over topic and payload, base64url. */
function payloadHash(publish: Publish): string {
  return createHash('sha256').update(publish.topic).update('\n').update(publish.payload).digest('base64url').slice(0, 22);
}

function field(body: unknown, index: number, name: string): string {
  return Array.isArray(body) ? `/payload/${index}/${name}` : `/payload/${name}`;
}
