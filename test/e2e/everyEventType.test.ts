import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { emitDailyAggregates } from '../../src/scheduler/jobs/emitDailyAggregates.js';
import { reportPendingFaults } from '../../src/scheduler/jobs/reportPendingFaults.js';
import { actOnContract, createGateway, createPartner, createWebhook, expectCall, pair, pairActive } from '../api/fixtures.js';
import { Receiver } from '../helpers/receiver.js';
import { ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

const HOUR = 3_600_000;

/**
 * The whole pipeline through its public doors: operator and partner API in, gateway messages
 * in, scheduler jobs, the dispatcher, and a real endpoint on a real socket.
 */
describe('end to end, every event type', () => {
  let hh: TestHearthook;
  let receiver: Receiver;
  let dispatcher: Dispatcher;

  beforeEach(async () => {
    hh = await startTestHearthook();
    // Events are made over two simulated days, then delivered "now": the standardwebhooks
    // package checks the signature's timestamp against the real clock.
    hh.clock.set(Date.now() - 3 * 24 * HOUR);
    receiver = await new Receiver().start();
    dispatcher = new Dispatcher(hh.rt);
  });
  afterEach(async () => {
    await dispatcher.stop(0);
    await receiver.stop();
    await hh.close();
  });

  async function gatewaySays(gatewayId: string, ...messages: Array<Record<string, unknown>>) {
    await expectCall(hh.app, 'POST', '/v1/ingest', ingest, messages.map((m) => ({ gatewayId, ...m })), 202);
  }

  it('reaches a subscribed endpoint with the right headers and a verifiable body, and nothing reaches other contracts', async () => {
    const partner = await createPartner(hh.app, { languages: ['de', 'en'] });
    const webhook = await createWebhook(hh.app, partner.apiKey, { url: receiver.url, apiKey: 'receiver-secret-key' });
    const gateway = await createGateway(hh.app, { timezone: 'Europe/Berlin' });
    await pairActive(hh.app, gateway.gatewayId, partner); // PENDING → ACTIVE: CONTRACT_STATUS

    // Companies whose contracts are PENDING, REJECTED and REVOKED get nothing.
    const bystanders = await Promise.all([1, 2, 3].map(() => createPartner(hh.app)));
    const otherReceiver = await new Receiver().start();
    try {
      for (const b of bystanders) await createWebhook(hh.app, b.apiKey, { url: otherReceiver.url });
      await pair(hh.app, gateway.gatewayId, bystanders[0].companyId);
      await pair(hh.app, gateway.gatewayId, bystanders[1].companyId);
      await actOnContract(hh.app, bystanders[1], gateway.gatewayId, 'REJECT');
      await pairActive(hh.app, gateway.gatewayId, bystanders[2]);
      await actOnContract(hh.app, bystanders[2], gateway.gatewayId, 'REVOKE');

      await gatewaySays(
        gateway.gatewayId,
        { kind: 'connection', status: 'DISCONNECTED' },
        { kind: 'fault', displayCode: 'A11', causeCode: 3061, severity: 'ERROR', active: true },
        { kind: 'datapoint', key: 'hvac.emon.compressor.powerCurrent', value: 1450, unit: 'W' },
        { kind: 'datapoint', key: 'hvac.emon.compressor.energyConsumption', value: 1000, unit: 'kWh' },
      );
      hh.clock.advance(3 * 60_000); // past the transient-fault window
      await reportPendingFaults(hh.rt);
      await gatewaySays(gateway.gatewayId, { kind: 'datapoint', key: 'hvac.emon.compressor.energyConsumption', value: 1012, unit: 'kWh' });
      hh.clock.advance(36 * HOUR); // the gateway's local day is over
      await emitDailyAggregates(hh.rt);

      hh.clock.set(Date.now());
      await dispatcher.tick();
      await dispatcher.idle();
      // Only bystander 3's own contract transitions (to ACTIVE, then REVOKED) reached them.
      expect(otherReceiver.received.map((r) => JSON.parse(r.body).data.status)).toEqual(['ACTIVE', 'REVOKED']);
    } finally {
      await otherReceiver.stop();
    }

    const verifier = new Webhook(webhook.secret!);
    const bodies = receiver.received.map((req) => {
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/hooks');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['x-api-key']).toBe('receiver-secret-key');
      expect(req.headers['x-api-version']).toMatch(/^\d+\.\d+$/);
      expect(req.headers['user-agent']).toMatch(/^Hearthook\/\d/);
      const body = verifier.verify(req.body, req.headers as Record<string, string>) as Record<string, unknown>;
      expect(req.headers['webhook-id']).toBe(body.id);
      expect(req.headers['webhook-sequence']).toBe(String(body.sequence));
      return body;
    });
    expect(new Set(bodies.map((b) => b.type))).toEqual(
      new Set(['APPLIANCE_STATUS', 'CONNECTIVITY_STATUS', 'CONTRACT_STATUS', 'DAILY_AGGREGATE', 'DATA_POINT']),
    );
    // Gap-free sequence per (webhook, gateway).
    expect(bodies.map((b) => b.sequence).sort((a, b) => Number(a) - Number(b))).toEqual(bodies.map((_, i) => i + 1));
    for (const body of bodies) expect(body.gatewayId).toBe(gateway.gatewayId);

    const byType = (type: string) => bodies.filter((b) => b.type === type).map((b) => b.data as Record<string, unknown>);
    expect(byType('CONTRACT_STATUS')[0]).toMatchObject({ previousStatus: 'PENDING', status: 'ACTIVE', companyId: partner.companyId });
    // DISCONNECTED, then the next message shows the gateway is back: reported as it changed.
    expect(byType('CONNECTIVITY_STATUS').slice(0, 2)).toEqual([{ connectivityStatus: 'OFFLINE' }, { connectivityStatus: 'ONLINE' }]);
    const fault = byType('APPLIANCE_STATUS')[0];
    expect(fault).toMatchObject({ status: 'ACTIVE', severity: 'ERROR', displayCode: 'A11', causeCode: 3061 });
    expect(Object.keys(fault.descriptions as object).sort()).toEqual(['de', 'en']); // the company's languages
    expect(byType('DATA_POINT')).toContainEqual({ key: 'hvac.emon.compressor.powerCurrent', value: 1450, unit: 'W' });
    expect(byType('DAILY_AGGREGATE')[0]).toMatchObject({ energyConsumption: { value: 12, unit: 'kWh' } });

    // The partner sees each delivery as delivered, in the major it was rendered in.
    const listed = await expectCall<{ data: Array<{ status: string; apiVersion: number; attemptCount: number; attempts: unknown[] }> }>(
      hh.app,
      'GET',
      `/v1/webhooks/${webhook.id}/deliveries`,
      partner.headers,
      undefined,
      200,
    );
    expect(listed.data).toHaveLength(bodies.length);
    for (const d of listed.data) expect(d).toMatchObject({ status: 'delivered', apiVersion: webhook.apiVersion, attemptCount: 1 });
    for (const d of listed.data) expect(d.attempts).toMatchObject([{ statusCode: 200, error: null }]);
  });
});
