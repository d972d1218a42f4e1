import type { Config } from '../config/config.js';

/**
 * The HTTP server's limits, as Fastify options: how long a client may take to send its headers
 * and its whole request, how long an idle keep-alive connection stays, and how many connections
 * are held at once (Node closes any beyond `maxConnections` as it accepts them). Node checks the
 * header and request deadlines on a timer, every 30 s unless told otherwise; once a second (a
 * walk over the open connections) keeps a slow-loris client from outliving its deadline by more
 * than that second.
 *
 * @example const app = Fastify({ ...serverLimits(config) });
 */
export function serverLimits(config: Config) {
  return {
    http: {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    },
    // Fastify sets these two on the server after creating it: the same values again.
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
  };
}
