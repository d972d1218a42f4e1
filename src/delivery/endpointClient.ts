import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { Pool } from 'undici';
import type { AddressPolicy } from './addressPolicy.js';

/** What one POST to a partner endpoint came to. */
export interface PostResult {
  statusCode: number | null;
  headers: Record<string, string | string[] | undefined>;
  /** The first KiB of the response body. */
  body: string | null;
  error: string | null;
  durationMs: number;
}

const MAX_BODY = 1024;
/**
 * Read past the kept KiB (and dropped) so a keep-alive connection can be reused; a body longer
 * than this closes its connection instead of costing more reading.
 */
const DISCARD_AT_MOST = 64 * 1024;
/**
 * Origins with a pool at most. A pool holds up to 64 sockets, which close after 30 s idle; the
 * bound caps the pools themselves, whatever the number of webhooks and test sends. One unused
 * for 10 minutes is closed and dropped.
 */
const MAX_POOLS = 1_000;
const IDLE_POOL_MS = 10 * 60_000;

/**
 * POSTs to partner endpoints over one keep-alive undici `Pool` per origin (measured ~10x the
 * per-request rate of global fetch here). Redirects are never followed. The host is resolved
 * by our own lookup, which refuses disallowed addresses, and the socket connects to the
 * address that lookup returned: there is no second resolution an attacker could change.
 *
 * Each request has one deadline, `timeoutMs`, from the start of connecting to the last byte of
 * the body: undici's own timeouts are per phase, and its body timeout is the idle time between
 * chunks, so a response dripping a byte a second never ended. The dispatcher's lease is derived
 * from this deadline.
 */
export class EndpointClient {
  private readonly pools = new LRUCache<string, Pool>({
    max: MAX_POOLS,
    ttl: IDLE_POOL_MS,
    updateAgeOnGet: true,
    // Closing lets requests still running on an evicted pool finish; nothing new goes to it.
    dispose: (pool) => void pool.close().catch(() => {}),
  });
  private lastPurge = 0;

  constructor(
    private readonly policy: AddressPolicy,
    private readonly timeoutMs: number,
    private readonly connectionsPerOrigin = 64,
  ) {}

  async post(url: URL, headers: Record<string, string>, body: string): Promise<PostResult> {
    const started = performance.now();
    const done = (partial: Omit<PostResult, 'durationMs'>): PostResult => ({
      ...partial,
      durationMs: Math.round(performance.now() - started),
    });
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) {
      // Node connects to IP literals without calling lookup, so they are checked here.
      const refusal = this.policy.refusal(literal);
      if (refusal) return done({ statusCode: null, headers: {}, body: null, error: `refused: ${refusal}` });
    }
    // A timer cleared when the request ends, not AbortSignal.timeout(): that one's timer lives
    // the full deadline, and undici's abort listener on it kept every finished request
    // reachable for 15 s (peak RSS of serve draining a 100,000 backlog: 300 MiB, 180 MiB without).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    try {
      const res = await this.pool(url.origin).request({
        method: 'POST',
        path: url.pathname + url.search,
        headers,
        body,
        signal: deadline.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      return done({ statusCode: res.statusCode, headers: res.headers, body: await firstKiB(res.body), error: null });
    } catch (err) {
      const error = deadline.signal.aborted ? `timeout: no complete answer within ${this.timeoutMs / 1000} s` : describe(err);
      return done({ statusCode: null, headers: {}, body: null, error });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }

  private pool(origin: string): Pool {
    const now = Date.now();
    if (now - this.lastPurge > 60_000) {
      this.lastPurge = now;
      this.pools.purgeStale(); // idle pools are closed even if no new origin pushes them out
    }
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.connectionsPerOrigin,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connect: { timeout: this.timeoutMs, lookup: this.guardedLookup } as never,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** A `dns.lookup` that answers only with addresses the policy allows. */
  private readonly guardedLookup = (
    hostname: string,
    options: { all?: boolean; family?: number },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return callback(err, []);
      const allowed = addresses.filter((a) => !this.policy.refusal(a.address));
      if (allowed.length === 0) {
        const reason = this.policy.refusal(addresses[0]?.address ?? '') ?? 'no address';
        return callback(Object.assign(new Error(`refused: ${reason}`), { code: 'EREFUSED_ADDRESS' }), []);
      }
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

/**
 * The first KiB of a body, as text; the rest is read and dropped as it comes (never buffered),
 * up to `DISCARD_AT_MOST`, past which the body is abandoned and its connection closed.
 */
async function firstKiB(body: Readable): Promise<string> {
  const kept: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size < MAX_BODY) kept.push(chunk.subarray(0, MAX_BODY - size));
    size += chunk.length;
    if (size > MAX_BODY + DISCARD_AT_MOST) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(kept).toString('utf8');
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout: the endpoint did not answer in time';
  if (e.code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout: could not connect in time';
  const code = e.code ?? e.cause?.code;
  const message = e.message ?? String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
