import type { Db } from '../store/db.js';
import { consentCovers, type EventType } from '../domain/eventTypes.js';
import { newEventId } from '../util/ids.js';
import { valuesList } from '../store/valuesList.js';
import { parseRecipients, RecipientCache, type RecipientRow } from './recipientCache.js';
import { type Counter, SequenceCounters } from './sequenceCounters.js';

/** An event the rules (or a contract change) decided to send. */
export interface NewEvent {
  type: EventType;
  gatewayId: string;
  /** Type-specific fields (see `src/versions/` for how each major renders them). */
  data: Record<string, unknown>;
  /** When the gateway said it happened, if it said. */
  occurredAt?: number;
  /** CONTRACT_STATUS: only this company receives it, whatever its consent. */
  forCompany?: string;
}

/** A row of `events`, as fan-out writes it (catch-up and the dispatcher read it). */
export interface EventRow {
  id: string;
  type: string;
  gateway_id: string;
  /** JSON, type-specific. */
  data: string;
  /** When the gateway said it happened, if it did. */
  occurred_at: number | null;
  /** The backend's timestamp. */
  created_at: number;
}

/** Rows per multi-row INSERT: well under both engines' limits on parameters per statement. */
const ROWS_PER_STATEMENT = 200;

/**
 * Writes each event, who is entitled to it, and one delivery per matching webhook, in the
 * caller's transaction: the outbox is the queue, so nothing is enqueued after commit.
 * Entitled: the gateway's ACTIVE contracts whose consent covers the type; a webhook matches when
 * it is subscribed to the type, and gets a delivery when it is enabled. Sequence numbers are
 * gap-free per (webhook, gateway) because they are taken in the same transaction; a disabled
 * webhook's counter moves too, by the events it missed, so once enabled again its receiver sees
 * the jump and fetches them (`GET /v1/events`). That costs no row per event: one counter upsert
 * per (webhook, gateway) per call. Returns how many deliveries were queued.
 *
 * Rows are written with multi-row statements and each (webhook, gateway) counter is moved once
 * per call: a statement per row cost a network round trip each on PostgreSQL, where ingest
 * managed 360 messages/s (npm run bench). Gateways' recipients come from `recipients`, the
 * runtime's cache (a new one reads them all). A delivery of a GATEWAY-ordered webhook is written
 * with `ordered` = 1, the others 0: only the former are in the line's index (migration 022).
 */
export async function fanOut(
  tx: Db,
  now: number,
  events: readonly NewEvent[],
  recipients: RecipientCache = new RecipientCache(),
): Promise<number> {
  if (events.length === 0) return 0;
  const eventValues: unknown[] = [];
  const recipientValues: unknown[] = [];
  const deliveries: Delivery[] = [];
  const counters = new SequenceCounters();
  const gatewayIds = new Set<string>();
  for (const event of events) if (!event.forCompany) gatewayIds.add(event.gatewayId);
  // First, also for a contract's events: on PostgreSQL it takes the ordering lock (recipientCache.ts).
  const recipientsByGateway = await recipients.forGateways(tx, [...gatewayIds]);
  for (const event of events) {
    const id = newEventId(now);
    eventValues.push(id, event.type, event.gatewayId, JSON.stringify(event.data), event.occurredAt ?? null, now);
    const entitled = event.forCompany ? await contractRecipients(tx, event.forCompany) : (recipientsByGateway.get(event.gatewayId) ?? []);
    const companies = new Set<string>();
    for (const r of entitled) {
      if (!consentCovers(r.consent, event.type)) continue;
      if (!companies.has(r.company_id)) {
        companies.add(r.company_id);
        recipientValues.push(id, r.company_id);
      }
      if (r.webhook_id && r.types.has(event.type)) {
        const counter = counters.count(r.webhook_id, event.gatewayId);
        if (r.enabled) deliveries.push({ eventId: id, counter, ordered: r.ordered });
      }
    }
  }
  await counters.take(tx);
  const deliveryValues: unknown[] = [];
  for (const { eventId, counter, ordered } of deliveries) {
    deliveryValues.push(eventId, counter.webhookId, counter.gatewayId, counter.next++, now, now, now, ordered ? 1 : 0);
  }
  const rows: Rows[] = [
    { into: 'events (id, type, gateway_id, data, occurred_at, created_at)', row: '(?, ?, ?, ?, ?, ?)', values: eventValues },
    { into: 'event_recipients (event_id, company_id)', row: '(?, ?)', values: recipientValues },
    {
      into: 'deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at, ordered)',
      row: "(?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)",
      values: deliveryValues,
    },
  ];
  const params = eventValues.length + recipientValues.length + deliveryValues.length;
  if (tx.dialect.chainsWrites && params <= CHAINED_PARAMS) await insertChained(tx, rows);
  else for (const { into, row, values } of rows) await insertRows(tx, into, row, values);
  return deliveries.length;
}

/** Rows for one table: `into` names it and its columns, `row` is one row's VALUES tuple. */
interface Rows {
  into: string;
  row: string;
  values: readonly unknown[];
}

/**
 * Parameters in one chained INSERT at most: half of PostgreSQL's 65,535 per statement. A batch of
 * 1,000 messages with two webhooks per gateway takes 26,000.
 */
const CHAINED_PARAMS = 32_000;

/**
 * On an engine that chains writes (PostgreSQL): the events, their recipients and the deliveries
 * in ONE statement (`WITH a AS (INSERT …), b AS (INSERT …) INSERT …`), one round trip instead of
 * three per ingest batch (BENCHMARKS.md, "PostgreSQL per batch"). The same rows: the tables have
 * no foreign keys between them, and every part of the statement runs to completion.
 */
async function insertChained(tx: Db, tables: readonly Rows[]): Promise<void> {
  const parts = tables.filter((t) => t.values.length > 0);
  if (parts.length === 0) return;
  const inserts = parts.map(({ into, row, values }) => `INSERT INTO ${into} VALUES ${valuesList(row, values.length / widthOf(row))}`);
  const last = inserts.pop() as string;
  const sql = inserts.length > 0 ? `WITH ${inserts.map((insert, i) => `part${i} AS (${insert})`).join(', ')} ${last}` : last;
  await tx.run(sql, parts.flatMap((p) => p.values));
}

/** Parameters per row of a VALUES tuple. */
const widthOf = (row: string) => row.split('?').length - 1;

interface Delivery {
  eventId: string;
  counter: Counter;
  /** Its webhook's ordering is GATEWAY: it goes into the line's index (migration 022). */
  ordered: boolean;
}

/** Inserts `values` (rows of `row`'s width, flattened) with multi-row statements. */
async function insertRows(tx: Db, into: string, row: string, values: readonly unknown[]): Promise<void> {
  const width = widthOf(row);
  const perStatement = ROWS_PER_STATEMENT * width;
  for (let i = 0; i < values.length; i += perStatement) {
    const chunk = values.slice(i, i + perStatement);
    await tx.run(`INSERT INTO ${into} VALUES ${valuesList(row, chunk.length / width)}`, chunk);
  }
}

/** A contract event goes to its company's enabled webhooks (and counts for its disabled ones), whatever the consent. */
async function contractRecipients(tx: Db, companyId: string) {
  return parseRecipients(
    await tx.all<RecipientRow>(
      `SELECT c.id AS company_id, 'MONITOR_AND_CONTROL' AS consent, w.id AS webhook_id, w.enabled, w.event_types, w.ordering
         FROM companies c LEFT JOIN webhooks w ON w.company_id = c.id
        WHERE c.id = ?`,
      [companyId],
    ),
  );
}
