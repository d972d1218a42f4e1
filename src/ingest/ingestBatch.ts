import { fanOut, type NewEvent } from '../fanout/fanOut.js';
import { applyRules } from '../rules/applyRules.js';
import { GatewayStateCache } from '../rules/gatewayState.js';
import type { GatewayMessage } from '../rules/messages.js';
import type { GatewayInfo, RuleContext } from '../rules/ruleContext.js';
import type { Runtime } from '../runtime.js';
import type { Db } from '../store/db.js';
import { valuesList } from '../store/valuesList.js';
import { noteRecentIds } from './recentMessageIds.js';
import type { IngestChannel } from './rejectReasons.js';

/** What an ingest call did. */
export interface IngestResult {
  /** Messages taken in (rules applied). */
  accepted: number;
  /** Messages whose id the gateway had sent before: ignored. */
  duplicates: number;
  /** Events the rules decided to send. */
  events: number;
}

/** Some messages name gateways Hearthook does not know; nothing of the batch was stored. */
export class UnknownGatewaysError extends Error {
  constructor(readonly indexes: number[]) {
    super(`unknown gateway in message ${indexes.join(', ')}`);
  }
}

/**
 * The batch would have acknowledged a message it did not keep (a message id the database did not
 * store as sent, so the resend guard could not tell new from resent): nothing of the batch was
 * stored, and the caller answers with a 500 rather than a 202 for messages that were dropped.
 */
export class UnkeptMessageError extends Error {
  constructor(readonly index: number, reason: string) {
    super(`ingest batch rolled back: message ${index} ${reason}`);
  }
}

/**
 * Takes in a batch of gateway messages in ONE transaction, all or nothing: records message ids
 * (a resent id changes nothing, also within the batch), applies the rules in order, writes the
 * gateways' state back once per (gateway, key), and fans the events out into the outbox. It
 * resolves only after the commit, so a 202 means durable. Throws UnknownGatewaysError, storing
 * nothing, when any message names an unknown gateway, and UnkeptMessageError when the resend
 * guard cannot prove a message it would skip was sent before.
 *
 * Per message this costs one statement (its id, when it has one) plus what its events cost in
 * fan-out; per gateway two reads and at most a few writes.
 *
 * @example
 * await ingestBatch(rt, [{ kind: 'heartbeat', gatewayId: '101506113' }], 'http'); // { accepted: 1, duplicates: 0, events: 1 }
 */
export async function ingestBatch(rt: Runtime, messages: readonly GatewayMessage[], channel: IngestChannel): Promise<IngestResult> {
  const now = rt.clock.now();
  const { result, deliveries, events, recorded } = await rt.store.transaction(async (tx) => {
    // Each gateway row is locked (FOR UPDATE on PostgreSQL) before its state is read, so two
    // nodes, or a node and a scheduler job, never apply rules to one gateway at once. Locked in
    // id order, the same order as in rulePass, so two batches cannot deadlock.
    const gateways = new Map<string, GatewayInfo | null>();
    const gatewayIds = [...new Set(messages.map((m) => m.gatewayId))].sort();
    for (const gatewayId of gatewayIds) gateways.set(gatewayId, null);
    const rows = await lockGateways(tx, gatewayIds);
    const lastSeen = new Map<string, number | null>();
    for (const row of rows) {
      gateways.set(row.id, { id: row.id, timezone: row.timezone });
      lastSeen.set(row.id, row.last_seen_at);
    }
    const unknown = messages.flatMap((m, i) => (gateways.get(m.gatewayId) ? [] : [i]));
    if (unknown.length > 0) throw new UnknownGatewaysError(unknown);

    const state = new GatewayStateCache(tx);
    await state.load(gateways.keys());
    const events: NewEvent[] = [];
    const ctx: RuleContext = { rules: rt.rules, now, state, events };
    const { resent, recorded } = await recordMessageIds(tx, messages, now);
    const seen = new Set<string>();
    let accepted = 0;
    let duplicates = 0;
    for (const [i, message] of messages.entries()) {
      // Skipped only as a proven resend (recordMessageIds); every other message is applied.
      if (resent.has(i)) {
        duplicates++;
        continue;
      }
      accepted++;
      seen.add(message.gatewayId);
      applyRules(ctx, gateways.get(message.gatewayId)!, message);
    }

    await state.flush(now);
    const stale = [...seen].filter((id) => isStale(lastSeen.get(id) ?? null, now));
    if (stale.length > 0) {
      await tx.run(`UPDATE gateways SET last_seen_at = ? WHERE id IN (${tx.dialect.jsonTextList})`, [now, JSON.stringify(stale)]);
    }
    const deliveries = await fanOut(tx, now, events, rt.recipients);
    return { result: { accepted, duplicates, events: events.length }, deliveries, events, recorded };
  });
  if (deliveries > 0) rt.store.notifyWork();
  rt.observer.ingested(channel, result.accepted, result.duplicates);
  rt.observer.eventsMade(events);
  if (recorded > 0) await noteRecentIds(rt.store, rt.log, recorded);
  return result;
}

/**
 * Locks the batch's gateways (FOR UPDATE on PostgreSQL) in id order and reads what ingest needs
 * of them; `gatewayIds` sorted. Exported for the raw PostgreSQL ceiling (src/bench/pgCeiling.ts).
 */
export function lockGateways(tx: Db, gatewayIds: readonly string[]) {
  return tx.all<{ id: string; timezone: string; last_seen_at: number | null }>(
    `SELECT id, timezone, last_seen_at FROM gateways
      WHERE id IN (${tx.dialect.jsonTextList}) AND ${tx.dialect.shareMessageIdsLock} ORDER BY id ${tx.dialect.lockRows}`,
    [JSON.stringify(gatewayIds)],
  );
}

/**
 * How far `last_seen_at` may lag behind: a gateway's row is rewritten at most once per second,
 * not once per batch (a busy bridge sends many a second, and the row and its index were 2% of
 * an ingest batch). The connectivity check counts silence in minutes.
 */
const LAST_SEEN_RESOLUTION_MS = 1000;

const isStale = (lastSeenAt: number | null, now: number) => lastSeenAt === null || now - lastSeenAt >= LAST_SEEN_RESOLUTION_MS;

/** A UTF-16 half without its other half: not a character, so no database stores it as sent. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Message ids per INSERT: well under both engines' limits on parameters per statement. */
const IDS_PER_STATEMENT = 300;

/**
 * Records the batch's message ids, several hundred per statement (one statement per message
 * cost a network round trip each on PostgreSQL), and returns the indexes of the messages that are
 * resends: a later copy of a (gateway, id) in the batch, or one whose id the database already
 * held. Ids are kept in two tables (migration 021): one statement per chunk inserts into the small
 * `message_ids_recent` the ids `message_ids_kept` does not hold, and the recent table's key
 * refuses the ones it holds; the gateways' rows are locked, so no other batch adds an id of
 * theirs in between. An id the insert does not give back is a resend, so every id that does come back must be one that was sent,
 * exactly: an id the database stores differently (a lone surrogate becomes U+FFFD in SQLite, a
 * NUL cuts it short) would make a new message look resent and be dropped with a 202. Such an id,
 * or a returned id matching none sent, fails the batch. Checking costs a string test per id, no
 * statement. Returns the count of ids inserted too (they are moved to the kept table in bulk).
 */
export async function recordMessageIds(tx: Db, messages: readonly GatewayMessage[], now: number): Promise<{ resent: Set<number>; recorded: number }> {
  const firstOf = new Map<string, number>();
  const resent = new Set<number>();
  for (const [i, m] of messages.entries()) {
    if (m.messageId === undefined) continue;
    if (LONE_SURROGATE.test(m.messageId) || m.messageId.includes('\0')) throw new UnkeptMessageError(i, 'has a messageId the database would not store as sent');
    const key = `${m.gatewayId} ${m.messageId}`;
    if (firstOf.has(key)) resent.add(i);
    else firstOf.set(key, i);
  }
  const candidates = [...firstOf.values()];
  const inserted = new Set<number>();
  for (let c = 0; c < candidates.length; c += IDS_PER_STATEMENT) {
    const chunk = candidates.slice(c, c + IDS_PER_STATEMENT);
    // One statement (one round trip on PostgreSQL): an id the kept table holds is not inserted,
    // and the recent table's key refuses one it holds; either way it does not come back.
    const rows = await tx.all<{ gateway_id: string; message_id: string }>(
      `INSERT INTO message_ids_recent (gateway_id, message_id, received_at)
       SELECT v.column1, v.column2, CAST(? AS BIGINT) FROM (VALUES ${valuesList('(?, ?)', chunk.length)}) AS v
        WHERE NOT EXISTS (SELECT 1 FROM message_ids_kept k WHERE k.gateway_id = v.column1 AND k.message_id = v.column2)
       ON CONFLICT (gateway_id, message_id) DO NOTHING
       RETURNING gateway_id, message_id`,
      [now, ...chunk.flatMap((i) => [messages[i].gatewayId, messages[i].messageId])],
    );
    for (const row of rows) {
      const index = firstOf.get(`${row.gateway_id} ${row.message_id}`);
      if (index === undefined || inserted.has(index)) {
        throw new UnkeptMessageError(chunk[0], `(or one after it) has a messageId stored as ${JSON.stringify(row.message_id)}, which was not sent`);
      }
      inserted.add(index);
    }
  }
  for (const i of candidates) if (!inserted.has(i)) resent.add(i);
  return { resent, recorded: inserted.size };
}
