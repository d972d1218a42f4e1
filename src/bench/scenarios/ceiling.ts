import { Pool } from 'undici';
import { buildRequest } from '../../delivery/buildRequest.js';
import type { Target } from '../../delivery/loadDeliveryTargets.js';
import { secretKey } from '../../delivery/signPayload.js';
import { formatNumber } from '../progress.js';
import { Receiver } from '../receiver.js';
import { type Scenario, round, windowRates } from '../scenario.js';
import { median, sleep } from '../stats.js';

/**
 * Requests in flight Hearthook keeps toward the receiver in the end-to-end scenario: two
 * webhooks on one origin, each limited to HEARTHOOK_ENDPOINT_MAX_IN_FLIGHT (32), over one pool
 * of 64 connections (src/delivery/endpointClient.ts). The ceiling uses the same.
 */
export const CEILING_CONCURRENCY = 64;

/**
 * 1. The machine's own limit: a raw undici `Pool` with keep-alive POSTing, `CEILING_CONCURRENCY`
 * at a time, the very request a Hearthook delivery is (a v2 CONNECTIVITY_STATUS body, the same
 * headers, signed) to the same receiver process the end-to-end scenario uses.
 */
export const ceiling: Scenario = {
  name: 'ceiling',
  title: 'Ceiling: raw undici Pool POSTs to the receiver',
  async run({ options, progress }) {
    const receiver = await Receiver.start(1);
    const url = new URL(receiver.urls[0]);
    const pool = new Pool(url.origin, { connections: CEILING_CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
    const request = sampleRequest(url);
    let stopping = false;
    let errors = 0;
    const lanes = Array.from({ length: CEILING_CONCURRENCY }, async () => {
      while (!stopping) {
        try {
          const res = await pool.request({ method: 'POST', path: url.pathname, headers: request.headers, body: request.body });
          await res.body.text();
        } catch {
          errors++;
        }
      }
    });
    try {
      await sleep(options.quick ? 500 : 2000); // warm up: connections open, JIT done
      const windows = options.quick ? 3 : 5;
      const rates = await windowRates(
        windows,
        options.quick ? 1000 : 3000,
        async () => {
          const c = await receiver.counts();
          return { count: c.total, at: c.at };
        },
        (rate, i) => progress.update(`window ${i + 1}/${windows}: ${formatNumber(rate)} requests/s`),
      );
      const rate = median(rates);
      return {
        scenario: 'ceiling',
        title: this.title,
        figures: [
          { name: 'raw POSTs/s', value: round(rate), unit: 'req/s', note: `median of ${windows} windows, ${CEILING_CONCURRENCY} in flight` },
        ],
        details: { windows: rates.map((r) => round(r)), concurrency: CEILING_CONCURRENCY, bodyBytes: request.body.length, errors },
      };
    } finally {
      stopping = true;
      await Promise.all(lanes);
      await pool.close();
      await receiver.stop();
    }
  },
};

/** The request Hearthook sends for one CONNECTIVITY_STATUS event to a v2 webhook. */
function sampleRequest(url: URL): { headers: Record<string, string>; body: string } {
  const now = Date.now();
  const target: Target = {
    id: 'wh_benchceiling',
    url,
    apiKeyName: 'x-api-key',
    apiKeyLocation: 'HEADER',
    apiKey: 'partner-1-receiver-key',
    signingKeys: [secretKey(`whsec_${Buffer.alloc(24, 7).toString('base64')}`)],
    apiVersion: 2,
    languages: ['en'],
    updatedAt: now,
  };
  const event = {
    id: 'evt_0193a1b2c3d40000a1b2c3d4e5',
    type: 'CONNECTIVITY_STATUS',
    gatewayId: '100000042',
    dataJson: '{"connectivityStatus":"OFFLINE"}',
    occurredAt: now,
    createdAt: now,
  };
  const { headers, body } = buildRequest(event, target, 1234, 2, now);
  return { headers, body };
}
