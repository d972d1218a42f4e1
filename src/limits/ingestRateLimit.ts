import { HttpError } from '../api/httpError.js';
import type { Runtime } from '../runtime.js';
import { policyHeader } from './rateLimiter.js';

/**
 * The per-gateway ingest limit, fitted to the all-or-nothing batch: each gateway's bucket is
 * charged one token per message of it in the batch, all gateways in one transaction. When any
 * gateway's bucket cannot pay, nothing is charged and nothing is stored, and the 429 names each
 * item of the flooding gateways (`/body/3/gatewayId`): the sender drops (or keeps for later)
 * those items and resends the rest at once, which then pass, since the refused batch took no
 * token from anybody. One gateway flooding thus never holds up the rest of the fleet, not even
 * in a batch it shares with them.
 *
 * @example await limitIngest(rt, messages.map((m) => m.gatewayId), Array.isArray(body));
 */
export async function limitIngest(rt: Runtime, gatewayIds: readonly string[], batch: boolean): Promise<void> {
  if (!rt.limits.enabled) return;
  const counts = new Map<string, number>();
  for (const id of gatewayIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  const policy = rt.limits.policies.ingestMessage;
  const refused = await rt.limits.takeAll(
    [...counts].map(([id, cost]) => ({ bucket: `ingest:${id}`, cost })),
    policy,
  );
  if (refused.length === 0) return;
  const retryAfter = new Map(refused.map((r) => [r.bucket.slice('ingest:'.length), r.retryAfterSeconds]));
  const errors = gatewayIds.flatMap((id, i) =>
    retryAfter.has(id)
      ? [{ field: batch ? `/body/${i}/gatewayId` : '/body/gatewayId', message: `gateway ${id} sends faster than ${1000 / policy.intervalMs} messages/s (burst ${policy.burst}); retry after ${retryAfter.get(id)} s` }]
      : [],
  );
  const wait = Math.max(...retryAfter.values());
  throw new HttpError(
    429,
    `${retryAfter.size} gateway(s) over the ingest rate limit: ${[...retryAfter.keys()].slice(0, 5).join(', ')}; nothing was stored. Resend the other items now, these after ${wait} s`,
    errors,
    { 'retry-after': String(wait), 'ratelimit-policy': policyHeader(policy) },
  );
}
