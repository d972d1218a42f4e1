import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MqttIngest } from '../../src/ingest/mqttIngest.js';
import { reportPendingFaults } from '../../src/scheduler/jobs/reportPendingFaults.js';
import { createRuntime } from '../../src/server/createRuntime.js';
import { mqttSkipReason } from '../helpers/mqttBroker.js';
import { testPostgresUrl } from '../helpers/testDatabase.js';
import { scrape } from '../helpers/prometheus.js';
import { admin, ingest } from '../helpers/testRuntime.js';
import { MqttHarness } from './mqttHarness.js';

const skip = await mqttSkipReason();

describe.skipIf(skip)(`MQTT ingest through a real Mosquitto${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let h: MqttHarness;
  beforeEach(async () => {
    h = await new MqttHarness().start();
  });
  afterEach(() => h.stop());

  it('every message kind published over MQTT reaches the partner webhook, through the same rules as HTTP ingest', async () => {
    const { gatewayId } = await h.partner();
    const gw = await h.gateway(gatewayId);
    const topic = h.topic(gatewayId);
    await gw.publishAsync(topic, JSON.stringify({ kind: 'connection', status: 'DISCONNECTED' }), { qos: 1 });
    await h.until(() => h.bodies().some((b) => b.type === 'CONNECTIVITY_STATUS'), 'OFFLINE');
    // An array, with and without gatewayId, with and without messageId.
    await gw.publishAsync(
      topic,
      JSON.stringify([
        { kind: 'heartbeat', messageId: 'hb-1' },
        { kind: 'fault', gatewayId, displayCode: 'A11', causeCode: 3061, severity: 'ERROR', active: true },
        { kind: 'datapoint', key: 'hvac.emon.compressor.powerCurrent', value: 1450, unit: 'W' },
      ]),
      { qos: 1 },
    );
    await h.until(() => h.bodies().some((b) => b.type === 'DATA_POINT'), 'the data point');
    h.hh.clock.advance(3 * 60_000); // past the transient-fault window
    await reportPendingFaults(h.hh.rt);
    await h.until(() => h.bodies().some((b) => b.type === 'APPLIANCE_STATUS'), 'the fault');

    const seen = h.bodies().map((b) => [b.type, b.data]);
    expect(seen).toContainEqual(['CONNECTIVITY_STATUS', { connectivityStatus: 'OFFLINE' }]);
    expect(seen).toContainEqual(['CONNECTIVITY_STATUS', { connectivityStatus: 'ONLINE' }]); // the heartbeat
    expect(seen).toContainEqual(['DATA_POINT', { key: 'hvac.emon.compressor.powerCurrent', value: 1450, unit: 'W' }]);
    expect(h.bodies().find((b) => b.type === 'APPLIANCE_STATUS')?.data).toMatchObject({ status: 'ACTIVE', displayCode: 'A11', causeCode: 3061 });
    for (const b of h.bodies()) expect(b.gatewayId).toBe(gatewayId);
    expect(h.ingest.counters).toMatchObject({ accepted: 4, duplicates: 0, rejected: 0 });
  });

  it('acknowledges each kind of bad message, lists it in rejected_messages with its reason, and changes nothing else', async () => {
    const { gatewayId } = await h.partner();
    const gw = await h.gateway(gatewayId);
    const tables = ['events', 'deliveries', 'ingested_messages', 'gateway_state', 'gateways'];
    const snapshot = async () => Promise.all(tables.map((t) => h.count(`SELECT COUNT(*) AS n FROM ${t}`)));
    const before = await snapshot();
    const lastSeen = () => h.count('SELECT COALESCE(last_seen_at, -1) AS n FROM gateways WHERE id = ?', [gatewayId]);
    const lastSeenBefore = await lastSeen();

    const bad: Array<[string, string, string]> = [
      [h.topic(gatewayId), '{"kind":"heartbeat",', 'invalid-json'],
      [h.topic(gatewayId), '{"kind":"teleport","messageId":"t-1"}', 'unknown-kind'],
      [h.topic(gatewayId), '{"kind":"datapoint","key":"x"}', 'invalid-message'],
      [h.topic('999999998'), '{"kind":"heartbeat"}', 'unknown-gateway'],
      [h.topic(gatewayId), `{"kind":"heartbeat","gatewayId":"${gatewayId}1"}`, 'gateway-mismatch'],
      [h.topic(gatewayId), '[{"kind":"heartbeat"},{"kind":"connection","status":"MAYBE"}]', 'invalid-message'],
    ];
    for (const [topic, payload] of bad) await gw.publishAsync(topic, payload, { qos: 1 });
    await h.until(() => h.ingest.counters.rejected === bad.length, 'every bad message rejected');

    const listed = await h.hh.app.inject({ method: 'GET', url: '/v1/admin/rejected-messages?limit=4', headers: admin });
    expect(listed.statusCode).toBe(200);
    const page1 = listed.json();
    expect(page1.hasMore).toBe(true);
    const page2 = (await h.hh.app.inject({ method: 'GET', url: `/v1/admin/rejected-messages?after=${page1.nextCursor}`, headers: admin })).json();
    expect(page2.hasMore).toBe(false);
    const rows = [...page1.data, ...page2.data].reverse(); // newest first
    expect(rows.map((r: { reason: string }) => r.reason)).toEqual(bad.map(([, , reason]) => reason));
    expect(rows.map((r: { payload: string }) => r.payload)).toEqual(bad.map(([, payload]) => payload));
    expect(rows[1].errors).toEqual([{ field: '/payload/kind', message: expect.stringContaining('must be one of') }]);
    expect(rows[4].errors[0].field).toBe('/payload/gatewayId');
    expect(rows[5].errors[0].field).toBe('/payload/1/status');
    expect(rows[3].gatewayId).toBe('999999998');

    // Nothing else changed: no event, delivery, message id, state or last-seen time.
    expect(await snapshot()).toEqual(before);
    expect(await lastSeen()).toBe(lastSeenBefore);
    expect(h.receiver.received).toHaveLength(0);

    // They were acknowledged: a new session of the same client gets none of them again.
    await h.ingest.stop();
    const again = await h.startIngest();
    await gw.publishAsync(h.topic(gatewayId), '{"kind":"heartbeat","messageId":"marker"}', { qos: 1 });
    await h.until(() => again.counters.accepted === 1, 'the marker');
    expect(again.counters.rejected).toBe(0);
    expect(await h.count('SELECT COUNT(*) AS n FROM rejected_messages')).toBe(bad.length);

    const badCursor = await h.hh.app.inject({ method: 'GET', url: '/v1/admin/rejected-messages?after=nope', headers: admin });
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.headers['content-type']).toContain('application/problem+json');
  });

  it('reports MQTT ingest through /metrics beside HTTP: accepted, duplicates, and rejected by reason, under channel="mqtt"', async () => {
    const { gatewayId } = await h.partner();
    const gw = await h.gateway(gatewayId);
    const before = await scrape(h.hh.app, admin);
    for (const result of ['accepted', 'duplicate']) expect(before.value('hearthook_ingest_messages_total', { channel: 'mqtt', result })).toBe(0);
    expect(before.value('hearthook_ingest_rejected_messages_total', { channel: 'mqtt', reason: 'invalid-json' })).toBe(0);

    const topic = h.topic(gatewayId);
    await gw.publishAsync(topic, JSON.stringify([{ kind: 'heartbeat', messageId: 'm-1' }, { kind: 'heartbeat', messageId: 'm-2' }]), { qos: 1 });
    await gw.publishAsync(topic, JSON.stringify({ kind: 'heartbeat', messageId: 'm-1' }), { qos: 1 }); // resent
    await gw.publishAsync(topic, '{"kind":', { qos: 1 });
    await gw.publishAsync(topic, '{"kind":"teleport"}', { qos: 1 });
    await gw.publishAsync(h.topic('999999997'), '{"kind":"heartbeat"}', { qos: 1 });
    await h.until(() => h.ingest.counters.rejected === 3 && h.ingest.counters.duplicates === 1, 'every publish taken in');
    const sent = await h.hh.app.inject({ method: 'POST', url: '/v1/ingest', headers: ingest, payload: { kind: 'heartbeat', gatewayId } });
    expect(sent.statusCode).toBe(202);

    const after = await scrape(h.hh.app, admin);
    expect(after.value('hearthook_ingest_messages_total', { channel: 'mqtt', result: 'accepted' })).toBe(2);
    expect(after.value('hearthook_ingest_messages_total', { channel: 'mqtt', result: 'duplicate' })).toBe(1);
    expect(after.value('hearthook_ingest_messages_total', { channel: 'http', result: 'accepted' })).toBe(1);
    const rejected = (reason: string) => after.value('hearthook_ingest_rejected_messages_total', { channel: 'mqtt', reason });
    expect(['invalid-json', 'unknown-kind', 'unknown-gateway', 'gateway-mismatch', 'invalid-message'].map(rejected)).toEqual([1, 1, 1, 0, 0]);
    expect(after.value('hearthook_ingest_rejected_messages_total', { channel: 'http', reason: 'unknown-kind' })).toBe(0);
  });

  it('a message committed but never acknowledged (the node died first) is redelivered by the broker and changes nothing: its derived id is found again', async () => {
    const { gatewayId } = await h.partner();
    const gw = await h.gateway(gatewayId);
    // Commit, but never send a PUBACK, then drop the connection without DISCONNECT: a crash
    // between the commit and the acknowledgement.
    const client = (h.ingest as unknown as { client: { _sendPacket: (p: { cmd: string }) => void; stream: { destroy(): void } } }).client;
    const send = client._sendPacket.bind(client);
    client._sendPacket = (packet) => (packet.cmd === 'puback' ? undefined : send(packet));
    const values = [1000, 2000, 3000];
    for (const value of values) {
      await gw.publishAsync(h.topic(gatewayId), JSON.stringify({ kind: 'datapoint', key: 'hvac.emon.compressor.powerCurrent', value }), { qos: 1 });
    }
    await h.until(() => h.ingest.counters.accepted === values.length, 'the first delivery');
    const events = await h.count('SELECT COUNT(*) AS n FROM events');
    await h.ingest.stop(); // graceful stop sends DISCONNECT, but the PUBACKs were dropped
    client.stream.destroy();
    h.hh.clock.advance(5000); // the redelivery comes later than the first delivery

    const again = await h.startIngest();
    await h.until(() => again.counters.duplicates === values.length, 'the redelivery, recognised');
    expect(again.counters.accepted).toBe(0);
    expect(await h.count('SELECT COUNT(*) AS n FROM events')).toBe(events);

    // A new message with the same payload as an earlier one is a new message, not a redelivery.
    await gw.publishAsync(h.topic(gatewayId), JSON.stringify({ kind: 'datapoint', key: 'hvac.emon.compressor.powerCurrent', value: 1000 }), { qos: 1 });
    await h.until(() => again.counters.accepted === 1, 'the new message with an old payload');
  });

  it('the last will of a gateway killed without DISCONNECT reports it OFFLINE within seconds, at every outage', async () => {
    const { gatewayId } = await h.partner();
    const connectivity = () => h.bodies().filter((b) => b.type === 'CONNECTIVITY_STATUS').map((b) => b.data.connectivityStatus);
    for (let outage = 1; outage <= 2; outage++) {
      const gw = await h.gateway(gatewayId, true);
      await gw.publishAsync(h.topic(gatewayId), JSON.stringify({ kind: 'connection', status: 'CONNECTED' }), { qos: 1 });
      await h.until(() => connectivity().length === 2 * outage - 1, 'ONLINE');
      gw.stream.destroy(); // the process dies: no DISCONNECT, so the broker publishes the will
      await h.until(() => connectivity().length === 2 * outage, 'OFFLINE from the will', 10_000);
    }
    expect(connectivity()).toEqual(['ONLINE', 'OFFLINE', 'ONLINE', 'OFFLINE']);
  });

  it.skipIf(!testPostgresUrl())('two nodes on PostgreSQL in one share group split the messages and together apply each once', async () => {
    // A second node: its own runtime (connection pool) on the same schema, its own client id.
    const { rt: rt2 } = await createRuntime({ ...h.hh.rt.config, ...h.mqttConfig('b') }, { clock: h.hh.clock, log: pino({ level: 'silent' }) });
    const nodeB = new MqttIngest(rt2);
    await nodeB.start();
    const nodeA = h.ingest;
    try {
      const gateways = await Promise.all([1, 2, 3, 4].map(async () => (await h.partner()).gatewayId));
      const perGateway = 100;
      await Promise.all(
        gateways.map(async (gatewayId) => {
          const gw = await h.gateway(gatewayId);
          for (let i = 0; i < perGateway; i++) {
            await gw.publishAsync(h.topic(gatewayId), JSON.stringify({ kind: 'datapoint', key: `test.seq.${i}`, value: i }), { qos: 1 });
          }
        }),
      );
      const total = gateways.length * perGateway;
      await h.until(() => nodeA.counters.accepted + nodeB.counters.accepted >= total, 'every message taken in', 60_000);
      expect(nodeA.counters.accepted).toBeGreaterThan(0);
      expect(nodeB.counters.accepted).toBeGreaterThan(0);
      expect(nodeA.counters.accepted + nodeB.counters.accepted).toBe(total);
      expect(nodeA.counters.duplicates + nodeB.counters.duplicates).toBe(0);
      // One DATA_POINT per message (each key is new), none twice.
      expect(await h.count("SELECT COUNT(*) AS n FROM events WHERE type = 'DATA_POINT'")).toBe(total);
      expect(await h.count("SELECT COUNT(DISTINCT gateway_id || ' ' || data) AS n FROM events WHERE type = 'DATA_POINT'")).toBe(total);
    } finally {
      await nodeB.stop();
      await rt2.store.close();
    }
  });
});
