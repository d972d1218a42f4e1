import { LRUCache } from 'lru-cache';
import { HttpError } from '../api/httpError.js';
import type { Store } from '../store/db.js';
import type { Clock } from '../util/clock.js';
import type { RateLimitPolicies, RatePolicy } from './rateLimitPolicies.js';
import { readBuckets, type TokenRequest, takeTokens } from './takeTokens.js';

/** What a take decided, and what the response headers say about it. */
export interface RateDecision {
  allowed: boolean;
  /** `RateLimit`, `RateLimit-Policy` and (when refused) `Retry-After`. */
  headers: Record<string, string>;
}

/** A refused bucket of a multi-bucket take, and when the caller may try it again. */
export interface RefusedBucket {
  bucket: string;
  retryAfterSeconds: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * The rate limits of one process, over buckets shared through the database (`takeTokens`).
 * Headers follow the IETF draft (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy:
 * "path";q=5;w=3` (a full bucket holds q tokens and refills from empty in w seconds) and
 * `RateLimit: "path";r=4;t=1` (r tokens left, full again in t seconds).
 *
 * @example
 * const d = await rt.limits.take(`p:${companyId}:GET /v1/webhooks`, rt.limits.policies.otherPath);
 * if (!d.allowed) throw new HttpError(429, 'rate limit reached', undefined, d.headers);
 */
export class RateLimiter {
  /**
   * Addresses refused for failed authentication, and until when: checked before any credential
   * so a blocked guesser learns nothing, without a database read on the success path. A node
   * learns of a block at the address's first refused failure there, so across n nodes an address
   * gets at most n - 1 guesses more per window than the shared bucket allows. Bounded: 10,000
   * addresses (an evicted one is only re-checked against the database at its next failure).
   */
  private readonly blocked = new LRUCache<string, number>({ max: 10_000 });

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly enabled: boolean,
    readonly policies: RateLimitPolicies,
  ) {}

  /** Takes `cost` tokens from one bucket. Always allowed (and no headers) when limits are off. */
  async take(bucket: string, policy: RatePolicy, cost = 1): Promise<RateDecision> {
    if (!this.enabled) return { allowed: true, headers: {} };
    const now = this.clock.now();
    const tat = (await takeTokens(this.store, [{ bucket, cost }], policy, now)).get(bucket);
    if (tat !== undefined) return { allowed: true, headers: headers(policy, now, tat, 0) };
    const current = (await readBuckets(this.store, [bucket])).get(bucket) ?? now;
    const retryAfterMs = Math.max(1, Math.max(current, now) + cost * policy.intervalMs - policy.burst * policy.intervalMs - now);
    return { allowed: false, headers: headers(policy, now, current, retryAfterMs) };
  }

  /**
   * Takes from several buckets of one policy, all or nothing: when any is refused, none is
   * taken (so the caller can drop the refused part and resend the rest at once).
   */
  async takeAll(requests: readonly TokenRequest[], policy: RatePolicy): Promise<RefusedBucket[]> {
    if (!this.enabled || requests.length === 0) return [];
    const now = this.clock.now();
    const refused = await this.store
      .transaction(async (tx) => {
        const allowed = await takeTokens(tx, requests, policy, now);
        if (allowed.size === requests.length) return [];
        throw new RefusedTake(requests.filter((r) => !allowed.has(r.bucket)));
      })
      .catch((err) => {
        if (err instanceof RefusedTake) return err.requests;
        throw err;
      });
    return this.whenToRetry(refused, policy, now);
  }

  /**
   * Which of these takes would be refused now, read without taking anything (no write, so no
   * write lock on SQLite). For refusing a flood before paying for the rest of its request; the
   * take that follows stays the authority (another request may take in between).
   */
  async peekAll(requests: readonly TokenRequest[], policy: RatePolicy): Promise<RefusedBucket[]> {
    if (!this.enabled || requests.length === 0) return [];
    const now = this.clock.now();
    const tats = await readBuckets(
      this.store,
      requests.map((r) => r.bucket),
    );
    const limit = now + policy.burst * policy.intervalMs;
    const refused = requests.filter((r) => Math.max(tats.get(r.bucket) ?? now, now) + r.cost * policy.intervalMs > limit);
    return this.whenToRetry(refused, policy, now, tats);
  }

  /** Each refused take and when it could pass: once its bucket has room for its whole cost. */
  private async whenToRetry(refused: readonly TokenRequest[], policy: RatePolicy, now: number, read?: Map<string, number>): Promise<RefusedBucket[]> {
    if (refused.length === 0) return [];
    const tats = read ?? (await readBuckets(this.store, refused.map((r) => r.bucket)));
    return refused.map((r) => ({
      bucket: r.bucket,
      retryAfterSeconds:
        r.cost > policy.burst
          ? seconds(policy.burst * policy.intervalMs)
          : seconds(Math.max(tats.get(r.bucket) ?? now, now) + (r.cost - policy.burst) * policy.intervalMs - now),
    }));
  }

  /** Throws 429 when `address` is blocked for failed authentication. */
  checkAuthAddress(address: string): void {
    const until = this.blocked.get(address);
    if (until === undefined) return;
    const now = this.clock.now();
    if (until <= now) {
      this.blocked.delete(address);
      return;
    }
    throw tooManyFailures(this.policies.authFailure, seconds(until - now));
  }

  /**
   * Counts a failed authentication from `address`: throws 429 when that was one too many,
   * else returns so the caller answers its 401.
   */
  async authFailed(address: string): Promise<void> {
    const decision = await this.take(`auth:${address}`, this.policies.authFailure);
    if (decision.allowed) return;
    const retryAfter = Number(decision.headers['retry-after']);
    this.blocked.set(address, this.clock.now() + retryAfter * 1000);
    throw tooManyFailures(this.policies.authFailure, retryAfter, decision.headers);
  }
}

class RefusedTake extends Error {
  constructor(readonly requests: TokenRequest[]) {
    super('rate limited');
  }
}

function tooManyFailures(policy: RatePolicy, retryAfter: number, extra: Record<string, string> = {}): HttpError {
  return new HttpError(429, `too many failed authentications from this address; try again in ${retryAfter} s`, undefined, {
    ...extra,
    'retry-after': String(retryAfter),
    'ratelimit-policy': policyHeader(policy),
  });
}

/** `"name";q=<burst>;w=<seconds to refill from empty>`: the `RateLimit-Policy` header of a policy. */
export function policyHeader(policy: RatePolicy): string {
  return `"${policy.name}";q=${policy.burst};w=${seconds(policy.burst * policy.intervalMs)}`;
}

function headers(policy: RatePolicy, now: number, tat: number, retryAfterMs: number): Record<string, string> {
  const ahead = Math.max(0, tat - now);
  const remaining = Math.max(0, Math.floor((policy.burst * policy.intervalMs - ahead) / policy.intervalMs));
  const out: Record<string, string> = {
    'ratelimit-policy': policyHeader(policy),
    ratelimit: `"${policy.name}";r=${remaining};t=${seconds(ahead)}`,
  };
  // Retry-After is whole seconds, rounded up: a client that waits it is never refused again.
  if (retryAfterMs > 0) out['retry-after'] = String(Math.max(1, seconds(retryAfterMs)));
  return out;
}
