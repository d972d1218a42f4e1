import type { Db } from '../../store/db.js';
import type { StoredEvent } from '../../versions/renderEvent.js';
import { CLAIM, type ClaimedDelivery, type ClaimRequest, claimDeliveries, claimParams } from './claimDeliveries.js';

/** A claim and, where the engine read them with it, what sending it needs. */
export interface ClaimedBatch {
  claimed: ClaimedDelivery[];
  /** The claimed deliveries' events (absent: deleted), when the claim read them; else load them. */
  events?: Map<string, StoredEvent>;
  /** Each claimed delivery's webhook's `updated_at` (absent: deleted), when the claim read them. */
  webhookVersions?: Map<string, number>;
}

interface Row extends ClaimedDelivery {
  event_type: string | null;
  event_gateway_id: string;
  event_data: string;
  event_occurred_at: number | null;
  event_created_at: number;
  webhook_updated_at: number | null;
}

/**
 * The dispatcher's claim (`claimDeliveries`, the same statement and guards). On an engine that
 * chains writes (PostgreSQL) the same round trip also returns each claimed row's event and its
 * webhook's `updated_at`, so a pass needs no read of the events and, while the decrypted webhooks
 * are cached and unchanged, none of the webhooks: one round trip before the POSTs instead of three
 * (BENCHMARKS.md, "PostgreSQL per batch"). Elsewhere it is the plain claim; the caller loads both.
 *
 * @example const { claimed, events } = await claimForSending(db, { token, now, leaseMs, limit: 100, scheduleLength: 10 });
 */
export async function claimForSending(db: Db, claim: ClaimRequest): Promise<ClaimedBatch> {
  if (!db.dialect.chainsWrites) return { claimed: await claimDeliveries(db, claim) };
  const rows = await db.all<Row>(
    `WITH claimed AS (${CLAIM(db)})
     SELECT c.id, c.event_id, c.webhook_id, c.gateway_id, c.sequence, c.attempts, c.api_version, c.claim_token,
            e.type AS event_type, e.gateway_id AS event_gateway_id, e.data AS event_data, e.occurred_at AS event_occurred_at, e.created_at AS event_created_at,
            w.updated_at AS webhook_updated_at
       FROM claimed c LEFT JOIN events e ON e.id = c.event_id LEFT JOIN webhooks w ON w.id = c.webhook_id`,
    claimParams(claim),
  );
  const claimed: ClaimedDelivery[] = [];
  const events = new Map<string, StoredEvent>();
  const webhookVersions = new Map<string, number>();
  for (const r of rows) {
    claimed.push({
      id: r.id,
      event_id: r.event_id,
      webhook_id: r.webhook_id,
      gateway_id: r.gateway_id,
      sequence: r.sequence,
      attempts: r.attempts,
      api_version: r.api_version,
      claim_token: r.claim_token,
    });
    if (r.event_type !== null && !events.has(r.event_id)) {
      events.set(r.event_id, {
        id: r.event_id,
        type: r.event_type,
        gatewayId: r.event_gateway_id,
        dataJson: r.event_data,
        occurredAt: r.event_occurred_at,
        createdAt: r.event_created_at,
      });
    }
    if (r.webhook_updated_at !== null) webhookVersions.set(r.webhook_id, r.webhook_updated_at);
  }
  return { claimed, events, webhookVersions };
}
