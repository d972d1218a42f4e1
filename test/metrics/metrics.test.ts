import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { QUEUE_STATS_MAX_AGE_MS } from '../../src/metrics/hearthookMetrics.js';
import { Scrape, scrape } from '../helpers/prometheus.js';
import { Receiver } from '../helpers/receiver.js';
import { seedPartner } from '../helpers/seed.js';
import { admin, ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

const METRICS_TOKEN = 'hhm_test-metrics-token';
const metricsAuth = { authorization: `Bearer ${METRICS_TOKEN}` };

describe('GET /metrics', () => {
  let hh: TestHearthook;
  let good: Receiver;
  let bad: Receiver;
  let dispatcher: Dispatcher;

  beforeEach(async () => {
    hh = await startTestHearthook({ metricsToken: METRICS_TOKEN, retrySchedule: [0, 60_000] });
    good = await new Receiver().start();
    bad = await new Receiver().start();
    bad.reply = () => ({ status: 503, body: 'down' });
    dispatcher = new Dispatcher(hh.rt);
  });
  afterEach(async () => {
    await dispatcher.stop(0);
    await good.stop();
    await bad.stop();
    await hh.close();
  });

  const send = (body: unknown) => hh.app.inject({ method: 'POST', url: '/v1/ingest', headers: ingest, payload: body as object });

  it('answers 401 without a token or with a wrong one, 200 with the metrics token or the admin token', async () => {
    expect((await hh.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const wrong = await hh.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer hhm_wrong' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
    const withIngest = await hh.app.inject({ method: 'GET', url: '/metrics', headers: ingest });
    expect(withIngest.statusCode).toBe(401);
    for (const headers of [metricsAuth, admin]) {
      const res = await hh.app.inject({ method: 'GET', url: '/metrics', headers });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(new Scrape(res.body).families.has('hearthook_deliveries_total')).toBe(true);
    }
  });

  it('counts ingest, events, deliveries by outcome and company, attempt and transaction times, and the queue', async () => {
    const ok = await seedPartner(hh.rt, { url: good.url });
    const failing = await seedPartner(hh.rt, { url: bad.url, gatewayId: ok.gatewayId });
    const before = await scrape(hh.app, metricsAuth);
    expect(before.value('hearthook_ingest_messages_total', { channel: 'http', result: 'accepted' })).toBe(0);
    expect(before.family('process_cpu_user_seconds_total').type).toBe('COUNTER'); // default process metrics

    const message = { kind: 'connection', gatewayId: ok.gatewayId, status: 'DISCONNECTED', messageId: 'm-1' };
    expect((await send([message])).statusCode).toBe(202);
    expect((await send(message)).statusCode).toBe(202); // resent: a duplicate
    expect((await send([{ kind: 'heartbeat', gatewayId: ok.gatewayId }, { kind: 'nonsense' }])).statusCode).toBe(400);
    expect((await send({ kind: 'heartbeat', gatewayId: '999999999' })).statusCode).toBe(400); // unknown gateway

    hh.clock.advance(QUEUE_STATS_MAX_AGE_MS); // past the count of the queue the first scrape cached
    const queued = await scrape(hh.app, metricsAuth);
    expect(queued.value('hearthook_ingest_messages_total', { channel: 'http', result: 'accepted' })).toBe(1);
    expect(queued.value('hearthook_ingest_messages_total', { channel: 'http', result: 'duplicate' })).toBe(1);
    // The refused batch counts both its messages under the reason of its worst error.
    expect(queued.value('hearthook_ingest_rejected_messages_total', { channel: 'http', reason: 'unknown-kind' })).toBe(2);
    expect(queued.value('hearthook_ingest_rejected_messages_total', { channel: 'http', reason: 'unknown-gateway' })).toBe(1);
    expect(queued.value('hearthook_ingest_rejected_messages_total', { channel: 'http', reason: 'invalid-message' })).toBe(0);
    // MQTT is off here: no mqtt series.
    expect(queued.family('hearthook_ingest_messages_total').metrics.some((m) => m.labels?.channel === 'mqtt')).toBe(false);
    expect(queued.value('hearthook_events_total', { type: 'CONNECTIVITY_STATUS' })).toBe(1);
    expect(queued.value('hearthook_events_total', { type: 'DATA_POINT' })).toBe(0);
    expect(queued.value('hearthook_queue_depth')).toBe(2);
    expect(queued.value('hearthook_store_transaction_duration_seconds')).toBeGreaterThanOrEqual(2);

    await dispatcher.tick();
    await dispatcher.idle();
    hh.clock.advance(QUEUE_STATS_MAX_AGE_MS); // past the cached count of the queue

    const sent = await scrape(hh.app, metricsAuth);
    expect(sent.value('hearthook_deliveries_total', { company: ok.companyId, outcome: 'delivered' })).toBe(1);
    expect(sent.value('hearthook_deliveries_total', { company: ok.companyId, outcome: 'failed' })).toBe(0);
    expect(sent.value('hearthook_deliveries_total', { company: failing.companyId, outcome: 'failed' })).toBe(1);
    expect(sent.value('hearthook_deliveries_total', { company: failing.companyId, outcome: 'delivered' })).toBe(0);
    const attempts = sent.family('hearthook_delivery_attempt_duration_seconds');
    expect(attempts.type).toBe('HISTOGRAM');
    expect(Number(attempts.metrics[0].count)).toBe(2);
    expect(Number(attempts.metrics[0].buckets?.['+Inf'])).toBe(2);
    // The failed one waits a minute for its retry: queued, not due.
    expect(sent.value('hearthook_queue_depth')).toBe(1);
    expect(sent.value('hearthook_queue_oldest_due_age_seconds')).toBe(0);

    hh.clock.advance(90_000); // past the retry's due time, no dispatcher running
    const late = await scrape(hh.app, metricsAuth);
    const retry = await hh.rt.store.get<{ next_attempt_at: number }>('SELECT next_attempt_at FROM deliveries WHERE next_attempt_at IS NOT NULL');
    expect(late.value('hearthook_queue_depth')).toBe(1);
    expect(late.value('hearthook_queue_oldest_due_age_seconds')).toBe((hh.clock.now() - retry!.next_attempt_at) / 1000);
    expect(late.value('hearthook_queue_oldest_due_age_seconds')).toBeGreaterThan(0);

    await dispatcher.tick();
    await dispatcher.idle();
    const dead = await scrape(hh.app, metricsAuth);
    expect(dead.value('hearthook_deliveries_total', { company: failing.companyId, outcome: 'failed' })).toBe(1);
    expect(dead.value('hearthook_deliveries_total', { company: failing.companyId, outcome: 'dead' })).toBe(1);
    expect(dead.value('hearthook_deliveries_total', { company: ok.companyId, outcome: 'delivered' })).toBe(1);
  });
});
