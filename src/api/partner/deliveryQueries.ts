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
 * A company's deliveries, newest first, narrowed by any of the filter's fields. Walks the
 * (webhook_id, id) index backwards per webhook; the filters narrow what it returns, not what it reads.
 *
 * @example const rows = await listDeliveries(db, { companyId, webhookId, status: 'dead', limit: 50 });
 */
export function listDeliveries(db: Db, filter: DeliveryFilter): Promise<DeliveryRow[]> {
  const where = ['w.company_id = ?'];
  const args: unknown[] = [filter.companyId];
  const narrow = (clause: string, value: unknown) => {
    if (value === undefined) return;
    where.push(clause);
    args.push(value);
  };
  narrow('d.webhook_id = ?', filter.webhookId);
  narrow('d.status = ?', filter.status);
  narrow('e.type = ?', filter.eventType);
  narrow('d.gateway_id = ?', filter.gatewayId);
  narrow('d.created_at >= ?', filter.since);
  narrow('d.id < ?', filter.before);
  return db.all<DeliveryRow>(`${SELECT_DELIVERY} WHERE ${where.join(' AND ')} ORDER BY d.id DESC LIMIT ?`, [...args, filter.limit]);
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
    `SELECT delivery_id, attempted_at, status_code, duration_ms, response_body, error FROM delivery_attempts
      WHERE delivery_id IN (${deliveryIds.map(() => '?').join(', ')}) ORDER BY delivery_id, attempted_at, id`,
    [...deliveryIds],
  );
  for (const row of rows) byDelivery.get(Number(row.delivery_id))?.push(row);
  return byDelivery;
}
