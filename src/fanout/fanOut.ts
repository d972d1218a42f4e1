import type { Db } from '../store/db.js';
import { type Consent, consentCovers, type EventType } from '../domain/eventTypes.js';
import { newEventId } from '../util/ids.js';

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

interface RecipientRow {
  company_id: string;
  consent: Consent;
  webhook_id: string | null;
  event_types: string | null;
}

interface Recipient {
  company_id: string;
  consent: Consent;
  webhook_id: string | null;
  /** The webhook's subscribed types, parsed once per batch rather than once per event. */
  types: ReadonlySet<string>;
}

const parseRecipients = (rows: RecipientRow[]): Recipient[] =>
  rows.map((r) => ({ ...r, types: new Set<string>(r.event_types ? JSON.parse(r.event_types) : []) }));

/**
 * Writes each event, who is entitled to it, and one delivery per matching webhook, in the
 * caller's transaction: the outbox is the queue, so nothing is enqueued after commit.
 * Entitled: the gateway's ACTIVE contracts whose consent covers the type; a webhook matches when
 * it is enabled and subscribed to the type. Sequence numbers are gap-free per (webhook, gateway)
 * because they are taken in the same transaction. Returns how many deliveries were queued.
 */
export async function fanOut(tx: Db, now: number, events: readonly NewEvent[]): Promise<number> {
  let deliveries = 0;
  const recipientsByGateway = new Map<string, Recipient[]>();
  for (const event of events) {
    const id = newEventId(now);
    await tx.run('INSERT INTO events (id, type, gateway_id, data, occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      id,
      event.type,
      event.gatewayId,
      JSON.stringify(event.data),
      event.occurredAt ?? null,
      now,
    ]);
    let recipients = recipientsByGateway.get(event.gatewayId);
    if (!recipients) {
      recipients = parseRecipients(
        await tx.all<RecipientRow>(
          `SELECT c.company_id, c.consent, w.id AS webhook_id, w.event_types
             FROM contracts c LEFT JOIN webhooks w ON w.company_id = c.company_id AND w.enabled = 1
            WHERE c.gateway_id = ? AND c.status = 'ACTIVE'`,
          [event.gatewayId],
        ),
      );
      recipientsByGateway.set(event.gatewayId, recipients);
    }
    const entitled = event.forCompany
      ? await contractRecipients(tx, event.forCompany)
      : recipients.filter((r) => consentCovers(r.consent, event.type));
    const companies = new Set<string>();
    for (const r of entitled) {
      if (!companies.has(r.company_id)) {
        companies.add(r.company_id);
        await tx.run('INSERT INTO event_recipients (event_id, company_id) VALUES (?, ?)', [id, r.company_id]);
      }
      if (!r.webhook_id || !r.types.has(event.type)) continue;
      const seq = await tx.get<{ last_sequence: number }>(
        `INSERT INTO webhook_sequences (webhook_id, gateway_id, last_sequence) VALUES (?, ?, 1)
         ON CONFLICT (webhook_id, gateway_id) DO UPDATE SET last_sequence = webhook_sequences.last_sequence + 1
         RETURNING last_sequence`,
        [r.webhook_id, event.gatewayId],
      );
      await tx.run(
        `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
        [id, r.webhook_id, event.gatewayId, seq!.last_sequence, now, now, now],
      );
      deliveries++;
    }
  }
  return deliveries;
}

/** A contract event goes to its company's enabled webhooks, whatever the consent. */
async function contractRecipients(tx: Db, companyId: string): Promise<Recipient[]> {
  return parseRecipients(
    await tx.all<RecipientRow>(
      `SELECT c.id AS company_id, 'MONITOR_AND_CONTROL' AS consent, w.id AS webhook_id, w.event_types
         FROM companies c LEFT JOIN webhooks w ON w.company_id = c.id AND w.enabled = 1
        WHERE c.id = ?`,
      [companyId],
    ),
  );
}
