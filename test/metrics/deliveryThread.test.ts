
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { call, freePort, HearthookProcess } from '../helpers/hearthookProcess.js';
import { Scrape } from '../helpers/prometheus.js';
import { Receiver } from '../helpers/receiver.js';
import { admin, ingest } from '../helpers/testRuntime.js';
import { until } from '../helpers/until.js';

/**
 * On a SQLite file, `hearthook serve` delivers from a thread of its own
 * (src/server/deliveryThread.ts) while /metrics, /ready and the failure log live on the main
 * thread: what the delivery thread does must reach them.
 */
describe('a serve process whose dispatcher runs on its own thread (SQLite file)', () => {
  const cleanup = useCleanup();

  it('counts its deliveries in /metrics, logs its failures, and is ready', async () => {
    const dir = cleanup.tempDir('hearthook-thread-');
    const good = await new Receiver().start();
    const bad = await new Receiver().start();
    bad.reply = () => ({ status: 500, body: 'boom' });
    cleanup.push(() => good.stop(), () => bad.stop());
    const server = await new HearthookProcess(await freePort(), {
      HEARTHOOK_DATABASE: join(dir, 'hearthook.db'),
      HEARTHOOK_RETRY_SCHEDULE: '0s,1h', // the failed ones wait an hour: each fails exactly once here
    }).start();
    cleanup.push(() => server.stop());

    const company = await call<{ id: string }>(server.url, 'POST', '/v1/admin/companies', admin, { name: 'Metrics Heating', languages: ['en'], autoAccept: true });
    const { apiKey } = await call<{ apiKey: string }>(server.url, 'POST', `/v1/admin/companies/${company.id}/api-keys`, admin);
    const gatewayId = '400000001';
    await call(server.url, 'POST', '/v1/admin/gateways', admin, { gatewayId, type: 'K40', timezone: 'Europe/Berlin' });
    await call(server.url, 'POST', `/v1/admin/gateways/${gatewayId}/contracts`, admin, { companyId: company.id, consent: 'ERROR_NOTIFICATIONS' });
    const webhookIds: string[] = [];
    for (const receiver of [good, bad]) {
      const webhook = await call<{ id: string }>(server.url, 'POST', '/v1/webhooks', { 'x-api-key': apiKey }, {
        url: receiver.url,
        apiKeyName: 'x-api-key',
        apiKeyLocation: 'HEADER',
        apiKey: 'receiver-key',
        eventTypes: ['CONNECTIVITY_STATUS'],
      });
      webhookIds.push(webhook.id);
    }
    const events = 6;
    for (let i = 0; i < events; i++) {
      await call(server.url, 'POST', '/v1/ingest', ingest, [{ kind: 'connection', gatewayId, status: i % 2 ? 'CONNECTED' : 'DISCONNECTED' }]);
    }
    await until(() => good.received.length === events && bad.received.length === events, 'every first attempt');

    const scrape = async () => new Scrape(await (await fetch(`${server.url}/metrics`, { headers: admin })).text());
    await until(async () => (await scrape()).value('hearthook_deliveries_total', { outcome: 'failed' }) === events, 'the failed attempts counted');
    // The thread copies its in-flight count to the main thread every 100 ms: wait for the copy.
    await until(async () => (await scrape()).value('hearthook_dispatcher_in_flight') === 0, 'the in-flight gauge back to 0');
    const metrics = await scrape();
    expect(metrics.value('hearthook_deliveries_total', { company: company.id, outcome: 'delivered' })).toBe(events);
    expect(metrics.value('hearthook_delivery_attempt_duration_seconds')).toBe(2 * events);
    expect(metrics.value('hearthook_dispatcher_in_flight')).toBe(0);

    // One line for the failing webhook (the rest of the window's failures are suppressed).
    await until(() => server.output.includes('"msg":"delivery failed"'), 'the failure log line');
    expect(server.output.match(/"msg":"delivery failed"/g)).toHaveLength(1);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);

    // The attempts the thread wrote (one transaction path, one all-successes path) record where they went.
    for (const [i, receiver] of [good, bad].entries()) {
      const { data } = await call<{ data: Array<{ attempts: Array<{ url: string; apiKeyHeader: string }> }> }>(
        server.url,
        'GET',
        `/v1/webhooks/${webhookIds[i]}/deliveries`,
        { 'x-api-key': apiKey },
      );
      expect(data.flatMap((d) => d.attempts.map((a) => [a.url, a.apiKeyHeader]))).toEqual(Array(events).fill([receiver.url, 'x-api-key']));
    }
  }, 90_000);
});
