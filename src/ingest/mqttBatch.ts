import type { Runtime } from '../runtime.js';
import { valuesList } from '../store/valuesList.js';
import { ingestBatch, UnknownGatewaysError } from './ingestBatch.js';
import { type Accepted, type Publish, type Rejected, readPublish, rejectionKey } from './mqttPublish.js';

/** What one batch of MQTT publishes did. */
export interface MqttBatchResult {
  /** Messages taken in (rules applied). */
  accepted: number;
  /** Messages whose id had been taken in before (a gateway's resend, or a broker's redelivery). */
  duplicates: number;
  events: number;
  /** Publishes acknowledged without being taken in, each kept in `rejected_messages`. */
  rejected: Array<Rejected & { topic: string }>;
}

/** The longest payload kept in `rejected_messages` (characters): enough to see what was wrong. */
const KEPT_PAYLOAD = 4096;

/**
 * Takes in a batch of publishes: the good ones in ONE `ingestBatch` transaction (the same path as
 * `POST /v1/ingest`), the bad ones into `rejected_messages`. It resolves only when both are
 * committed; the caller sends the PUBACKs then, so a crash before that point has the broker
 * redeliver the lot, and message ids (given or derived) make the redelivery change nothing.
 *
 * @example
 * await takeInPublishes(rt, [{ topic: 'hearthook/gateways/101506113/messages', payload, packetId: 7, dup: false }]);
 */
export async function takeInPublishes(rt: Runtime, publishes: readonly Publish[]): Promise<MqttBatchResult> {
  const { mqttTopicPrefix: prefix, mqttSessionExpiryMs } = rt.config;
  const firstSeen = rt.clock.now().toString(36);
  const read = publishes.map((p) => readPublish(prefix, p, firstSeen));
  // A redelivered packet (DUP) may have been committed before the crash that lost its PUBACK:
  // it gets the id it had then, found by its topic, payload and packet id. See README "MQTT".
  for (const [i, r] of read.entries()) {
    if (r.ok && publishes[i].dup) await reuseDerivedIds(rt, r, rt.clock.now() - mqttSessionExpiryMs);
  }
  const rejected = read.flatMap((r, i) => (r.ok ? [] : [{ ...r, topic: publishes[i].topic, index: i }]));
  let good = read.flatMap((r, i) => (r.ok ? [{ ...r, index: i }] : []));
  let outcome = { accepted: 0, duplicates: 0, events: 0 };
  for (;;) {
    try {
      if (good.length > 0) outcome = await ingestBatch(rt, good.flatMap((g) => g.messages), 'mqtt');
      break;
    } catch (err) {
      if (!(err instanceof UnknownGatewaysError)) throw err;
      // Nothing was stored: set the publishes of unknown gateways aside and take in the rest.
      const gatewayOf = good.flatMap((g) => g.messages.map(() => g.gatewayId));
      const unknown = new Set(err.indexes.map((i) => gatewayOf[i]));
      for (const g of good.filter((g) => unknown.has(g.gatewayId))) {
        rejected.push({
          ok: false,
          gatewayId: g.gatewayId,
          reason: 'unknown-gateway',
          errors: [{ field: '/topic', message: `gateway ${g.gatewayId} is not known` }],
          topic: publishes[g.index].topic,
          index: g.index,
        });
      }
      good = good.filter((g) => !unknown.has(g.gatewayId));
    }
  }
  rejected.sort((a, b) => a.index - b.index); // listed in the order they arrived
  if (rejected.length > 0) await recordRejections(rt, rejected.map((r) => ({ ...r, publish: publishes[r.index] })));
  // Counted per publish (one row of rejected_messages each), whatever its payload held.
  for (const r of rejected) rt.observer.ingestRejected('mqtt', r.reason, 1);
  return { ...outcome, rejected: rejected.map(({ index: _, ...r }) => r) };
}

/** Gives a redelivered publish's messages the derived ids its first delivery was committed with, if it was. */
async function reuseDerivedIds(rt: Runtime, accepted: Accepted, since: number): Promise<void> {
  const prefix = accepted.derivedPrefix;
  // A range over the primary key (gateway_id, message_id): `prefix` ≤ id < `prefix` with ':' → ';'.
  const row = await rt.store.get<{ message_id: string }>(
    `SELECT message_id FROM ingested_messages
      WHERE gateway_id = ? AND message_id >= ? AND message_id < ? AND received_at >= ?
      ORDER BY received_at DESC LIMIT 1`,
    [accepted.gatewayId, prefix, `${prefix.slice(0, -1)};`, since],
  );
  if (!row) return;
  const firstSeen = row.message_id.slice(prefix.length).split(':')[0];
  for (const [i, m] of accepted.messages.entries()) {
    if (m.messageId?.startsWith(prefix)) m.messageId = `${prefix}${firstSeen}:${i}`;
  }
}

/**
 * Rows per INSERT: 7 parameters each, well under SQLite's 32,766 and PostgreSQL's 65,535 bound
 * parameters even when HEARTHOOK_MQTT_BATCH_SIZE (up to 32,767) publishes are all bad.
 */
const REJECTIONS_PER_STATEMENT = 500;

async function recordRejections(rt: Runtime, rejections: Array<Rejected & { topic: string; publish: Publish }>): Promise<void> {
  const now = rt.clock.now();
  for (let i = 0; i < rejections.length; i += REJECTIONS_PER_STATEMENT) {
    const chunk = rejections.slice(i, i + REJECTIONS_PER_STATEMENT);
    await rt.store.run(
      `INSERT INTO rejected_messages (received_at, topic, gateway_id, message_key, reason, errors, payload)
       VALUES ${valuesList('(?, ?, ?, ?, ?, ?, ?)', chunk.length)}
       ON CONFLICT (topic, message_key) DO NOTHING`,
      chunk.flatMap((r) => [
        now,
        r.topic,
        r.gatewayId,
        rejectionKey(r.publish),
        r.reason,
        JSON.stringify(r.errors),
        // Text as the API shows it: invalid UTF-8 becomes U+FFFD, and NUL (which PostgreSQL's TEXT refuses) too.
        r.publish.payload.toString('utf8', 0, KEPT_PAYLOAD * 4).slice(0, KEPT_PAYLOAD).replaceAll('\u0000', '\uFFFD'),
      ]),
    );
  }
}
