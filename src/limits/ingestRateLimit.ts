import { HttpError } from '../api/httpError.js';
import type { Runtime } from '../runtime.js';
import { policyHeader, type RefusedBucket } from './rateLimiter.js';
import type { TokenRequest } from './takeTokens.js';

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
  const refused = await rt.limits.takeAll(costs(gatewayIds), rt.limits.policies.ingestMessage);
  if (refused.length > 0) throw tooFast(rt, gatewayIds, batch, refused);
}

/**
 * The same limit, looked at before the body is checked: a batch with a gateway that could not
 * pay now is refused with the same 429 without a write, the message checks or a transaction.
 * A sender that ignores 429s resends its flood as fast as it is answered; with the refusal this
 * cheap, its requests cost the other companies' ingest little (the `noisy` benchmark scenario).
 * `body` is the parsed JSON as sent: when it is not a list of objects with string `gatewayId`s
 * nothing is looked at, and the checks name what is wrong.
 */
export async function refuseFloodingGateways(rt: Runtime, body: unknown): Promise<void> {
  if (!rt.limits.enabled) return;
  const gatewayIds = gatewayIdsOf(body);
  if (gatewayIds === undefined) return;
  const refused = await rt.limits.peekAll(costs(gatewayIds), rt.limits.policies.ingestMessage);
  if (refused.length > 0) throw tooFast(rt, gatewayIds, Array.isArray(body), refused);
}

/** One bucket per gateway, charged one token per message of it. */
function costs(gatewayIds: readonly string[]): TokenRequest[] {
  const counts = new Map<string, number>();
  for (const id of gatewayIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts].map(([id, cost]) => ({ bucket: `ingest:${id}`, cost }));
}

function gatewayIdsOf(body: unknown): string[] | undefined {
  const items = Array.isArray(body) ? body : [body];
  const ids: string[] = [];
  for (const item of items) {
    const id = typeof item === 'object' && item !== null ? (item as { gatewayId?: unknown }).gatewayId : undefined;
    if (typeof id !== 'string') return undefined;
    ids.push(id);
  }
  return ids.length > 0 ? ids : undefined;
}

/** The 429 naming each item of the refused gateways (the rate once, in the title: a flood's answer is a thousand items). */
function tooFast(rt: Runtime, gatewayIds: readonly string[], batch: boolean, refused: readonly RefusedBucket[]): HttpError {
  const policy = rt.limits.policies.ingestMessage;
  const retryAfter = new Map(refused.map((r) => [r.bucket.slice('ingest:'.length), r.retryAfterSeconds]));
  const errors = gatewayIds.flatMap((id, i) =>
    retryAfter.has(id)
      ? [{ field: batch ? `/body/${i}/gatewayId` : '/body/gatewayId', message: `gateway ${id} is over its limit; retry after ${retryAfter.get(id)} s` }]
      : [],
  );
  const wait = Math.max(...retryAfter.values());
  return new HttpError(
    429,
    `${retryAfter.size} gateway(s) over the ingest rate limit of ${1000 / policy.intervalMs} messages/s per gateway (burst ${policy.burst}): ${[...retryAfter.keys()].slice(0, 5).join(', ')}; nothing was stored. Resend the other items now, these after ${wait} s`,
    errors,
    { 'retry-after': String(wait), 'ratelimit-policy': policyHeader(policy) },
  );
}
