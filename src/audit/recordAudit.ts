import type { FastifyRequest } from 'fastify';
import type { Db } from '../store/db.js';

/** One management write, as the audit log keeps it. */
export interface AuditEntry {
  /** The company the write concerns (a partner sees its own entries), if any. */
  companyId: string | null;
  /** `<what>.<verb>`, e.g. `webhook.create`, `api_key.revoke`, `contract.consent`. */
  action: string;
  /** The id of what was written (a webhook, key, company, gateway, `gateway/company`…). */
  target: string;
  /** The state before and after, as the API shows it: never a key, token or secret. */
  before?: unknown;
  after?: unknown;
}

/** Fields that hold a secret in some API answer: dropped from every audit state, whatever the route. */
const SECRET_FIELDS = new Set(['apiKey', 'secret', 'token', 'previousSecret']);

/** The actor of a request: the partner's API key id on partner routes, else the operator. */
export function actorOf(request: FastifyRequest): string {
  return request.apiKeyId ?? 'operator';
}

/**
 * Appends an entry to the audit log, in the transaction `tx` of the write it records (so an entry
 * exists exactly when its write committed). The sequence number comes from `audit_head` in the
 * same transaction: its row lock makes sequence order the commit order on PostgreSQL, so a
 * cursor never skips an entry committed late. The cost is that audited writes commit one at a
 * time; management writes are rare (at most 2 a second per company and path).
 *
 * @example await recordAudit(tx, actorOf(request), now, { companyId, action: 'webhook.delete', target: id, before: webhookJson(row) });
 */
export async function recordAudit(tx: Db, actor: string, at: number, entry: AuditEntry): Promise<void> {
  const head = await tx.get<{ seq: number }>('UPDATE audit_head SET seq = seq + 1 RETURNING seq');
  await tx.run(
    'INSERT INTO audit_log (seq, at, actor, company_id, action, target, before_state, after_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [Number(head?.seq), at, actor, entry.companyId, entry.action, entry.target, state(entry.before), state(entry.after)],
  );
}

function state(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value, (key, v) => (SECRET_FIELDS.has(key) ? undefined : v));
}
