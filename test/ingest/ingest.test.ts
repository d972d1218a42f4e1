import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway, addPartner, count, events, GATEWAY, post, send } from './fixtures.js';

const STORED = ['events', 'ingested_messages', 'gateway_state', 'deliveries', 'event_recipients'];

async function rowCounts(hh: TestHearthook): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of STORED) counts[table] = await count(hh.rt, table);
  return counts;
}

describe('POST /v1/ingest', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
    await addGateway(hh.rt);
    await addGateway(hh.rt, '2002');
  });
  afterEach(() => hh.close());

  it('takes one message or an array, and answers 202 with counts only once they are stored', async () => {
    const one = await post(hh, { kind: 'heartbeat', gatewayId: GATEWAY, messageId: 'm-1' });
    expect(one.statusCode).toBe(202);
    expect(one.json()).toEqual({ accepted: 1, duplicates: 0, events: 1 });
    expect(await count(hh.rt, 'ingested_messages')).toBe(1);

    const many = await post(hh, [
      { kind: 'datapoint', gatewayId: GATEWAY, key: 'hvac.system.sensor.t0', value: 7.5, unit: '°C' },
      { kind: 'connection', gatewayId: '2002', status: 'CONNECTED', sentAt: '2026-06-01T11:59:58Z' },
    ]);
    expect(many.statusCode).toBe(202);
    expect(many.json()).toEqual({ accepted: 2, duplicates: 0, events: 2 });
    const [connectivity] = await events(hh.rt, 'CONNECTIVITY_STATUS').then((e) => e.filter((x) => x.gateway_id === '2002'));
    expect(connectivity.occurred_at).toBe(Date.parse('2026-06-01T11:59:58Z'));
    expect(connectivity.created_at).toBe(hh.clock.now());
  });

  it('refuses requests without the ingest token', async () => {
    const res = await hh.app.inject({ method: 'POST', url: '/v1/ingest', payload: { kind: 'heartbeat', gatewayId: GATEWAY } });
    expect(res.statusCode).toBe(401);
  });

  it('rejects a whole batch with one bad item, naming its index and field, and stores nothing', async () => {
    await send(hh, { kind: 'heartbeat' });
    const before = await rowCounts(hh);
    const res = await post(hh, [
      { kind: 'heartbeat', gatewayId: GATEWAY, messageId: 'a' },
      { kind: 'datapoint', gatewayId: GATEWAY, key: 'hvac.x', value: 1 },
      { kind: 'fault', gatewayId: GATEWAY, displayCode: 'A11', causeCode: 3061, severity: 'ERROR', active: true },
      { kind: 'datapoint', gatewayId: GATEWAY, key: 'hvac.y', value: { nested: true } },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors).toEqual([{ field: '/body/3/value', message: 'must be number or string' }]);
    expect(await rowCounts(hh)).toEqual(before);
  });

  it('names every bad field of every bad item', async () => {
    const res = await post(hh, [
      { kind: 'fault', gatewayId: 'abc', displayCode: 'A11', causeCode: 1.5, severity: 'FATAL' },
      { kind: 'teleport', gatewayId: GATEWAY },
      { kind: 'heartbeat', gatewayId: GATEWAY, sentAt: 'yesterday', messageId: 'x'.repeat(129), extra: 1 },
    ]);
    expect(res.statusCode).toBe(400);
    const fields = (res.json().errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(
      [
        '/body/0/active',
        '/body/0/gatewayId',
        '/body/0/causeCode',
        '/body/0/severity',
        '/body/1/kind',
        '/body/2/sentAt',
        '/body/2/messageId',
        '/body/2/extra',
      ].sort(),
    );
  });

  it('does not coerce types: a null value or active is an error, not 0 or false', async () => {
    const res = await post(hh, [
      { kind: 'datapoint', gatewayId: GATEWAY, key: 'hvac.x', value: null },
      { kind: 'fault', gatewayId: GATEWAY, displayCode: 'A11', causeCode: 3061, severity: 'ERROR', active: 'false' },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(['/body/0/value', '/body/1/active']);
    expect(await count(hh.rt, 'events')).toBe(0);
  });

  it('rejects a batch of more than 1000 messages', async () => {
    const res = await post(hh, Array.from({ length: 1001 }, () => ({ kind: 'heartbeat', gatewayId: GATEWAY })));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('/body');
  });

  it('rejects a batch naming an unknown gateway at that item, and stores nothing of it', async () => {
    const res = await post(hh, [
      { kind: 'heartbeat', gatewayId: GATEWAY, messageId: 'm-1' },
      { kind: 'heartbeat', gatewayId: '999', messageId: 'm-2' },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: '/body/1/gatewayId', message: 'gateway 999 is not known' }]);
    expect(await rowCounts(hh)).toEqual({ events: 0, ingested_messages: 0, gateway_state: 0, deliveries: 0, event_recipients: 0 });
    const lastSeen = await hh.rt.store.get<{ last_seen_at: number | null }>('SELECT last_seen_at FROM gateways WHERE id = ?', [GATEWAY]);
    expect(lastSeen?.last_seen_at).toBeNull();

    const single = await post(hh, { kind: 'heartbeat', gatewayId: '999' });
    expect(single.json().errors).toEqual([{ field: '/body/gatewayId', message: 'gateway 999 is not known' }]);
  });

  it('stores nothing of a batch when the store fails halfway through it', async () => {
    await addPartner(hh.rt);
    // Writing the event of the batch's second gateway fails, after the first's rows were written.
    if (hh.rt.store.engine === 'sqlite') {
      await hh.rt.store.run(
        `CREATE TRIGGER fail_2002 BEFORE INSERT ON events WHEN NEW.gateway_id = '2002'
         BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
      );
    } else {
      await hh.rt.store.run(
        `CREATE FUNCTION fail_2002() RETURNS trigger AS $$
         BEGIN IF NEW.gateway_id = '2002' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
      );
      await hh.rt.store.run('CREATE TRIGGER fail_2002 BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail_2002()');
    }
    const res = await post(hh, [
      { kind: 'heartbeat', gatewayId: GATEWAY, messageId: 'a' },
      { kind: 'datapoint', gatewayId: GATEWAY, key: 'hvac.system.sensor.t0', value: 3, messageId: 'b' },
      { kind: 'heartbeat', gatewayId: '2002', messageId: 'c' },
    ]);
    expect(res.statusCode).toBe(500);
    expect(await rowCounts(hh)).toEqual({ events: 0, ingested_messages: 0, gateway_state: 0, deliveries: 0, event_recipients: 0 });
    // The gateway can resend the same ids once the store works again.
    await hh.rt.store.run(hh.rt.store.engine === 'sqlite' ? 'DROP TRIGGER fail_2002' : 'DROP TRIGGER fail_2002 ON events');
    const retry = await post(hh, { kind: 'heartbeat', gatewayId: GATEWAY, messageId: 'a' });
    expect(retry.json()).toEqual({ accepted: 1, duplicates: 0, events: 1 });
  });

  it('yields no second event for a resent messageId, across requests and within one batch', async () => {
    const fault = { kind: 'datapoint', key: 'hvac.emon.compressor.operationStatus', value: 'HEATING' };
    expect(await send(hh, { ...fault, messageId: 'm-1' })).toEqual({ accepted: 1, duplicates: 0, events: 2 });
    // Same id, different content: still a resend of message m-1, so it changes nothing.
    expect(await send(hh, { ...fault, value: 'OFF', messageId: 'm-1' })).toEqual({ accepted: 0, duplicates: 1, events: 0 });
    expect(
      await send(hh, { ...fault, value: 'COOLING', messageId: 'm-2' }, { ...fault, value: 'OFF', messageId: 'm-2' }),
    ).toEqual({ accepted: 1, duplicates: 1, events: 1 });
    expect((await events(hh.rt, 'DATA_POINT')).map((e) => e.data.value)).toEqual(['HEATING', 'COOLING']);
    // The same id from another gateway is another message.
    expect(await send(hh, { ...fault, gatewayId: '2002', messageId: 'm-1' })).toMatchObject({ accepted: 1, duplicates: 0 });
  });

  it('fans events out to an ACTIVE contract with a subscribed webhook, and only there', async () => {
    const { webhookId } = await addPartner(hh.rt);
    await addPartner(hh.rt, { company: 'cmp_revoked', status: 'REVOKED' });
    await addPartner(hh.rt, { company: 'cmp_errors_only', consent: 'ERROR_NOTIFICATIONS' });
    await addPartner(hh.rt, { company: 'cmp_other_types', eventTypes: ['DAILY_AGGREGATE'] });

    await send(hh, { kind: 'datapoint', key: 'hvac.emon.compressor.powerCurrent', value: 1450, unit: 'W' });
    const deliveries = await hh.rt.store.all<{ webhook_id: string; event_id: string; sequence: number; status: string }>(
      'SELECT d.webhook_id, d.event_id, d.sequence, d.status FROM deliveries d ORDER BY d.id',
    );
    const all = await events(hh.rt);
    expect(all.map((e) => e.type)).toEqual(['CONNECTIVITY_STATUS', 'DATA_POINT']);
    // Our webhook gets both; the errors-only company's webhook gets connectivity but no data point.
    expect(deliveries.filter((d) => d.webhook_id === webhookId).map((d) => [d.event_id, d.sequence, d.status])).toEqual([
      [all[0].id, 1, 'pending'],
      [all[1].id, 2, 'pending'],
    ]);
    expect(deliveries.filter((d) => d.webhook_id === 'wh_cmp_errors_only').map((d) => d.event_id)).toEqual([all[0].id]);
    expect(deliveries.some((d) => d.webhook_id === 'wh_cmp_revoked' || d.webhook_id === 'wh_cmp_other_types')).toBe(false);
  });

  it('documents the four message kinds in the OpenAPI document', async () => {
    const doc = (await hh.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const body = doc.paths['/v1/ingest'].post.requestBody.content['application/json'].schema;
    // Each kind is a named schema (a discriminator selects only $ref'ed ones); @fastify/swagger
    // renders `const` as a one-value `enum`.
    const named = body.anyOf[0].oneOf.map((k: { $ref: string }) => k.$ref.replace('#/components/schemas/', ''));
    expect(named).toEqual(['HeartbeatMessage', 'ConnectionMessage', 'FaultMessage', 'DataPointMessage']);
    const kinds = named.map((name: string) => doc.components.schemas[name].properties.kind.enum[0]);
    expect(kinds).toEqual(['heartbeat', 'connection', 'fault', 'datapoint']);
    expect(body.anyOf[0].discriminator).toEqual({
      propertyName: 'kind',
      mapping: Object.fromEntries(kinds.map((kind: string, i: number) => [kind, `#/components/schemas/${named[i]}`])),
    });
    expect(body.anyOf[1].items).toEqual(body.anyOf[0]);
  });
});
