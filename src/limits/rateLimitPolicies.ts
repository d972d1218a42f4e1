/**
 * Every rate limit of Hearthook, in one place. A policy is a token bucket: `burst` tokens, one
 * more every `intervalMs`. The partner REST limits are the manufacturer's documented ones
 * (DOMAIN.md); the others are ours. `HEARTHOOK_RATE_LIMIT=off` turns all of them off.
 */
export interface RatePolicy {
  /** The policy's name in the `RateLimit` / `RateLimit-Policy` headers. */
  name: string;
  /** One token comes back every this many milliseconds. */
  intervalMs: number;
  /** Tokens a full bucket holds: the most requests at once. */
  burst: number;
}

export interface RateLimitPolicies {
  /** Partner REST paths with a `{gatewayId}`: per company + gateway + endpoint + path [doc]. */
  gatewayPath: RatePolicy;
  /** Other partner REST paths: per company + endpoint + path [doc]. */
  otherPath: RatePolicy;
  /** Failed authentication (operator, partner, ingest credentials), per client address [ours]. */
  authFailure: RatePolicy;
  /** `POST /v1/webhooks/{id}/test`: outbound test sends per webhook [ours]. */
  testSend: RatePolicy;
  /** Ingested messages per gateway; a batch costs one token per message of the gateway [ours]. */
  ingestMessage: RatePolicy;
}

export const RATE_LIMITS: RateLimitPolicies = {
  gatewayPath: { name: 'gateway-path', intervalMs: 2000, burst: 3 },
  otherPath: { name: 'path', intervalMs: 500, burst: 5 },
  // 10 failures at once, then one more every 6 s (10 a minute): a person mistyping a token is
  // never stopped, a script guessing one gets 429 after its tenth try.
  authFailure: { name: 'auth-failure', intervalMs: 6000, burst: 10 },
  // 5 at once, then one every 10 s: enough to debug a receiver, not enough to use Hearthook as
  // a request cannon (500 calls made 500 outbound POSTs before this limit).
  testSend: { name: 'test-send', intervalMs: 10_000, burst: 5 },
  // A whole batch (1,000 messages: a gateway uploading what it kept during an outage) at once,
  // then 10 messages a second, about a hundred times what a heat pump gateway sends.
  ingestMessage: { name: 'ingest', intervalMs: 100, burst: 1000 },
};
