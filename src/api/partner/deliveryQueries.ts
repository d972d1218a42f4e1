/**
 * The queries behind a partner's delivery list and a delivery's page, shared by the API
 * (`GET /v1/webhooks/{id}/deliveries`, `GET /v1/deliveries/{id}`) and the console, so both show
 * the same rows and a partner sees only its own through either.
 */
import type { Db } from '../../store/db.js';

export interface DeliveryRow {
  id: number;
  event_id: string;
  webhook_id: string;
  gateway_id: string;
  event_type: string;
  sequence: number;
  api_version: number | null;
  status: string;
  /** With ordering GATEWAY: the earliest unfinished earlier delivery of its gateway it waits for. */
  waiting_for: number | null;
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface AttemptRow {
  delivery_id: number;
  attempted_at: number;
  status_code: number | null;
  duration_ms: number;
  response_body: string | null;
  error: string | null;
  /** Where it went, secrets out (migration 026, attemptTarget.ts); null when no request was made or before 026. */
  url: string | null;
  api_key_header: string | null;
  /** JSON array: the languages its body was rendered with. */
  languages: string | null;
}

export interface DeliveryFilter {
  /** Only this company's webhooks' deliveries: always given. */
  companyId: string;
  webhookId?: string;
  status?: string;
  eventType?: string;
  gatewayId?: string;
  /** Created at or after (ms). */
  since?: number;
  /**
   * Created before (ms), exclusive: with since, one window such as an hour of yesterday. It narrows
   * the walk as the other filters do (EXPLAIN: the same plan, on both engines), so the deliveries
   * made after it are read first: about 0.2 ms per 1,000 on SQLite.
   */
  until?: number;
  /** Only ids below this one (paging, newest first). */
  before?: number;
  limit: number;
}

/**
 * waiting_for: what holds a queued delivery of a GATEWAY-ordered webhook (the claim's
 * HELD_BY_PREDECESSOR, answered with the id): the head of its gateway's line, i.e. the lowest
 * unfinished sequence, since that is the one whose retry or death lets the line move. One seek
 * into deliveries_unfinished_sequence per listed row, and only for queued rows (`p.ordered = 1`:
 * that index holds only flagged rows, migration 022; a GATEWAY webhook's unfinished rows all are).
 */
const SELECT_DELIVERY = `SELECT d.id, d.event_id, d.webhook_id, d.gateway_id, e.type AS event_type, d.sequence, d.api_version, d.status,
       CASE WHEN w.ordering = 'GATEWAY' AND d.status IN ('pending', 'failed') THEN
         (SELECT p.id FROM deliveries p
           WHERE p.webhook_id = d.webhook_id AND p.gateway_id = d.gateway_id AND p.sequence < d.sequence
             AND p.ordered = 1 AND p.status NOT IN ('delivered', 'dead')
           ORDER BY p.sequence LIMIT 1)
       END AS waiting_for,
       d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at
  FROM deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id`;

/**
 * A company's deliveries, newest first, narrowed by any of the filter's fields. Each webhook's
 * rows are read walking its (webhook_id, id) index backwards and stop at `limit`; the filters
 * narrow what that walk returns, not what it reads. Read per webhook and merged here because
 * one statement over all of them sorted every row of the company first: 57 ms on SQLite for the
 * newest 50 of 100,000 deliveries in two webhooks, 0.2 ms per webhook this way.
 *
 * @example const rows = await listDeliveries(db, { companyId, webhookId, status: 'dead', limit: 50 });
 */
export async function listDeliveries(db: Db, filter: DeliveryFilter): Promise<DeliveryRow[]> {
  if (filter.webhookId !== undefined) return listWebhookDeliveries(db, filter, filter.webhookId);
  const webhooks = await db.all<{ id: string }>('SELECT id FROM webhooks WHERE company_id = ?', [filter.companyId]);
  const lists = await Promise.all(webhooks.map((w) => listWebhookDeliveries(db, filter, w.id)));
  return lists
    .flat()
    .sort((a, b) => Number(b.id) - Number(a.id))
    .slice(0, filter.limit);
}

function listWebhookDeliveries(db: Db, filter: DeliveryFilter, webhookId: string): Promise<DeliveryRow[]> {
  // One webhook written as a range, ordered as the (webhook_id, id) index is, so that index is the
  // only ordered plan (as in hasDueWork.ts): with `webhook_id = ?` and ORDER BY d.id PostgreSQL
  // walked the primary key backwards through other webhooks' newer rows (16 ms for the newest 50
  // below 100,000 of another company's).
  const where = ['w.company_id = ?', 'd.webhook_id >= ?', 'd.webhook_id <= ?'];
  const args: unknown[] = [filter.companyId, webhookId, webhookId];
  const narrow = (clause: string, value: unknown) => {
    if (value === undefined) return;
    where.push(clause);
    args.push(value);
  };
  narrow('d.status = ?', filter.status);
  narrow('e.type = ?', filter.eventType);
  narrow('d.gateway_id = ?', filter.gatewayId);
  narrow('d.created_at >= ?', filter.since);
  narrow('d.created_at < ?', filter.until);
  narrow('d.id < ?', filter.before);
  // The dead ones have their own partial index (deliveries_dead): read through it and sorted, as
  // an order no index gives, rather than walking every delivery of the webhook for a few dead
  // (?status=dead at 100,000 deliveries on SQLite: 15 → 0.3 ms).
  const order = filter.status === 'dead' ? 'd.id + 0 DESC' : 'd.webhook_id DESC, d.id DESC';
  return db.all<DeliveryRow>(`${SELECT_DELIVERY} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`, [...args, filter.limit]);
}

/**
 * Those of `ids` that are `companyId`'s deliveries and changed at or after `since` (ms), by
 * primary key (one seek per id, whatever else the rows are): a live log re-reads the rows it
 * shows this way, so a row keeps updating after it leaves the log's filter or its newest rows.
 */
export function listOwnDeliveriesChanged(db: Db, companyId: string, ids: readonly number[], since: number): Promise<DeliveryRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.all<DeliveryRow>(
    `${SELECT_DELIVERY} WHERE d.id IN (${ids.map(() => '?').join(', ')}) AND d.updated_at >= ? AND w.company_id = ?`,
    [...ids, since, companyId],
  );
}

/** One delivery of `companyId`'s webhooks, or undefined: another company's is not found. */
export function findOwnDelivery(db: Db, id: number, companyId: string): Promise<DeliveryRow | undefined> {
  return db.get<DeliveryRow>(`${SELECT_DELIVERY} WHERE d.id = ? AND w.company_id = ?`, [id, companyId]);
}

/** A delivery's HTTP attempts, oldest first. */
export async function listAttempts(db: Db, deliveryId: number): Promise<AttemptRow[]> {
  return (await listAttemptsOf(db, [deliveryId])).get(deliveryId) ?? [];
}

/**
 * The HTTP attempts of several deliveries (a list page's), oldest first, by delivery: one query
 * for the page, over the (delivery_id) index. A delivery has at most its schedule's attempts.
 */
export async function listAttemptsOf(db: Db, deliveryIds: readonly number[]): Promise<Map<number, AttemptRow[]>> {
  const byDelivery = new Map<number, AttemptRow[]>(deliveryIds.map((id) => [id, []]));
  if (deliveryIds.length === 0) return byDelivery;
  const rows = await db.all<AttemptRow>(
    `SELECT delivery_id, attempted_at, status_code, duration_ms, response_body, error, url, api_key_header, languages FROM delivery_attempts
      WHERE delivery_id IN (${deliveryIds.map(() => '?').join(', ')}) ORDER BY delivery_id, attempted_at, id`,
    [...deliveryIds],
  );
  for (const row of rows) byDelivery.get(Number(row.delivery_id))?.push(row);
  return byDelivery;
}
