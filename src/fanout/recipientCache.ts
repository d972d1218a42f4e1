import type { Consent } from '../domain/eventTypes.js';
import type { Db } from '../store/db.js';

/**
 * One entitled company of a gateway, with one of its webhooks (or none). A disabled webhook is
 * listed too: it gets no deliveries, but its sequence keeps counting the events it missed.
 */
export interface Recipient {
  company_id: string;
  consent: Consent;
  webhook_id: string | null;
  /** Whether the webhook gets deliveries (false: disabled, by its partner or for failing). */
  enabled: boolean;
  /** The webhook's subscribed types, parsed once rather than once per event. */
  types: ReadonlySet<string>;
  /** Ordering GATEWAY: its deliveries wait in line (`ordered` = 1, migration 022). */
  ordered: boolean;
}

/** A row of the recipients read: a webhook's subscribed types as stored (JSON text). */
export interface RecipientRow {
  company_id: string;
  consent: Consent;
  webhook_id: string | null;
  enabled: number | null;
  event_types: string | null;
  ordering: string | null;
}

export const parseRecipients = (rows: readonly RecipientRow[]): Recipient[] =>
  rows.map((r) => ({
    company_id: r.company_id,
    consent: r.consent,
    webhook_id: r.webhook_id,
    enabled: r.enabled === 1,
    types: new Set<string>(r.event_types ? JSON.parse(r.event_types) : []),
    ordered: r.ordering === 'GATEWAY',
  }));

/** Gateways remembered at most; past that the cache starts over (a few hundred bytes each). */
const MAX_GATEWAYS = 200_000;

/**
 * Each gateway's recipients (its ACTIVE contracts and their companies' webhooks), kept
 * between transactions: reading them for the 1,000 gateways of an ingest batch was a tenth of
 * the batch (npm run bench). Every change to contracts or webhooks moves `recipients_version`
 * by trigger (migration 009), in the changing transaction, on any node; each read first reads
 * the version and drops everything on a new one. So a transaction sees recipients at least as
 * new as the version it read, as it would reading them itself. The version is read even for no
 * gateway (a contract's event): on PostgreSQL that read takes the ordering lock every fan-out
 * holds (Dialect.recipientsVersion), so a webhook's ordering read after it stays true till commit.
 *
 * The lists handed out are shared: callers must not change them.
 *
 * @example
 * const recipients = await rt.recipients.forGateways(tx, ['101506113']);
 */
export class RecipientCache {
  private version: number | undefined;
  private readonly byGateway = new Map<string, Recipient[]>();

  async forGateways(tx: Db, gatewayIds: readonly string[]): Promise<Map<string, Recipient[]>> {
    const result = new Map<string, Recipient[]>();
    const row = await tx.get<{ version: number }>(tx.dialect.recipientsVersion);
    const version = Number(row?.version);
    if (version !== this.version) {
      this.byGateway.clear();
      this.version = version;
    }
    if (gatewayIds.length === 0) return result;
    const missing: string[] = [];
    for (const id of gatewayIds) {
      const cached = this.byGateway.get(id);
      if (cached) result.set(id, cached);
      else missing.push(id);
    }
    if (missing.length === 0) return result;
    const read = await readRecipients(tx, missing);
    // Another transaction (PostgreSQL: this node's others run concurrently) may have moved the
    // cache to a newer version while we read: what we read may be older, so it is not kept.
    const keep = this.version === version;
    if (keep && this.byGateway.size + missing.length > MAX_GATEWAYS) this.byGateway.clear();
    for (const id of missing) {
      const list = read.get(id) ?? [];
      result.set(id, list);
      if (keep) this.byGateway.set(id, list);
    }
    return result;
  }
}

/** The recipients of `gatewayIds`, read in one statement. */
async function readRecipients(tx: Db, gatewayIds: readonly string[]): Promise<Map<string, Recipient[]>> {
  const rows = await tx.all<RecipientRow & { gateway_id: string }>(
    `SELECT c.gateway_id, c.company_id, c.consent, w.id AS webhook_id, w.enabled, w.event_types, w.ordering
       FROM contracts c LEFT JOIN webhooks w ON w.company_id = c.company_id
      WHERE c.gateway_id IN (${tx.dialect.jsonTextList}) AND c.status = 'ACTIVE'`,
    [JSON.stringify(gatewayIds)],
  );
  const byGateway = new Map<string, RecipientRow[]>();
  for (const row of rows) {
    const list = byGateway.get(row.gateway_id);
    if (list) list.push(row);
    else byGateway.set(row.gateway_id, [row]);
  }
  return new Map([...byGateway].map(([gatewayId, list]) => [gatewayId, parseRecipients(list)]));
}
