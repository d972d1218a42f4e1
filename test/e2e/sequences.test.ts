import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, createPartner, createWebhook, pairActive } from '../api/fixtures.js';
import { ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

describe('sequence numbers', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
  });
  afterEach(() => hh.close());

  it('are gap-free and unique per (webhook, gateway) even when many batches fan out at once', async () => {
    const partner = await createPartner(hh.app, { autoAccept: true });
    const webhooks = [
      await createWebhook(hh.app, partner.apiKey, { eventTypes: ['CONNECTIVITY_STATUS'] }),
      await createWebhook(hh.app, partner.apiKey, { eventTypes: ['CONNECTIVITY_STATUS', 'DATA_POINT'] }),
    ];
    const gateways = [await createGateway(hh.app), await createGateway(hh.app)];
    for (const gw of gateways) await pairActive(hh.app, gw.gatewayId, partner);

    // 20 requests in parallel, each flipping both gateways' connection and moving a data point.
    const requests = Array.from({ length: 20 }, (_, i) =>
      hh.app.inject({
        method: 'POST',
        url: '/v1/ingest',
        headers: ingest,
        payload: gateways.flatMap((gw) => [
          { kind: 'connection', gatewayId: gw.gatewayId, status: i % 2 ? 'CONNECTED' : 'DISCONNECTED' },
          { kind: 'datapoint', gatewayId: gw.gatewayId, key: 'hvac.emon.compressor.operationStatus', value: `mode-${i}` },
        ]),
      }),
    );
    for (const res of await Promise.all(requests)) expect(res.statusCode).toBe(202);

    const rows = await hh.rt.store.all<{ webhook_id: string; gateway_id: string; sequence: number }>(
      'SELECT webhook_id, gateway_id, sequence FROM deliveries',
    );
    for (const webhook of webhooks) {
      for (const gw of gateways) {
        const sequences = rows
          .filter((r) => r.webhook_id === webhook.id && r.gateway_id === gw.gatewayId)
          .map((r) => r.sequence)
          .sort((a, b) => a - b);
        expect(sequences.length).toBeGreaterThan(10);
        expect(sequences).toEqual(sequences.map((_, i) => i + 1));
      }
    }
  });
});
