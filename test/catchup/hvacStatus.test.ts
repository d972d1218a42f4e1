import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportPendingFaults } from '../../src/scheduler/jobs/reportPendingFaults.js';
import { actOnContract, createGateway, createPartner, expectCall, type Partner, pair, pairActive } from '../api/fixtures.js';
import { ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

const MINUTE = 60_000;
const POWER = 'hvac.emon.compressor.powerCurrent';
const OPERATION = 'hvac.emon.compressor.operationStatus';
const A11 = { kind: 'fault', displayCode: 'A11', causeCode: 3061, severity: 'ERROR' };
const A11_DE = 'Keine Kommunikation mit dem Mischermodul von Heizkreis 1';

describe('GET /v1/hvacs/{gatewayId}/status', () => {
  let hh: TestHearthook;
  let gatewayId: string;
  let monitor: Partner;
  let errorsOnly: Partner;

  beforeEach(async () => {
    hh = await startTestHearthook();
    gatewayId = (await createGateway(hh.app)).gatewayId;
    monitor = await createPartner(hh.app, { languages: ['de'] });
    errorsOnly = await createPartner(hh.app, { languages: ['fr'] });
    await pairActive(hh.app, gatewayId, monitor, 'MONITOR_AND_CONTROL');
    await pairActive(hh.app, gatewayId, errorsOnly, 'ERROR_NOTIFICATIONS');
  });
  afterEach(() => hh.close());

  const gatewaySays = (...messages: Array<Record<string, unknown>>) =>
    expectCall(hh.app, 'POST', '/v1/ingest', ingest, messages.map((m) => ({ gatewayId, ...m })), 202);
  const status = (partner: Partner, id = gatewayId) =>
    hh.app.inject({ method: 'GET', url: `/v1/hvacs/${id}/status`, headers: partner.headers });
  const statusOf = async (partner: Partner) => {
    const res = await status(partner);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  /** Online since t0, A11 active and reported at t0 + 2 min, running at 1450 W, heating. */
  async function busyGateway(): Promise<number> {
    const t0 = hh.clock.now();
    await gatewaySays(
      { kind: 'connection', status: 'CONNECTED' },
      { ...A11, active: true, sentAt: new Date(t0 - 5000).toISOString() },
      { kind: 'datapoint', key: POWER, value: 1450, unit: 'W' },
      { kind: 'datapoint', key: OPERATION, value: 'HEATING' },
    );
    hh.clock.advance(2 * MINUTE);
    expect(await reportPendingFaults(hh.rt)).toBe(1);
    return t0;
  }

  it('shows MONITOR_AND_CONTROL everything: connectivity, reported faults in its languages, operation status, data points', async () => {
    const t0 = await busyGateway();
    hh.clock.advance(MINUTE);
    // A second fault still inside the transient window has not been reported: not shown.
    await gatewaySays({ kind: 'fault', displayCode: 'H07', causeCode: 1017, severity: 'WARNING', active: true });

    expect(await statusOf(monitor)).toEqual({
      gatewayId,
      consent: 'MONITOR_AND_CONTROL',
      connectivity: { status: 'ONLINE', since: new Date(t0).toISOString(), lastSeenAt: new Date(t0 + 3 * MINUTE).toISOString() },
      faults: [
        {
          displayCode: 'A11',
          causeCode: 3061,
          severity: 'ERROR',
          since: new Date(t0).toISOString(),
          occurredAt: new Date(t0 - 5000).toISOString(),
          descriptions: { de: A11_DE },
        },
      ],
      operationStatus: { key: OPERATION, value: 'HEATING', unit: null, timestamp: new Date(t0).toISOString() },
      dataPoints: [
        { key: OPERATION, value: 'HEATING', unit: null, timestamp: new Date(t0).toISOString() },
        { key: POWER, value: 1450, unit: 'W', timestamp: new Date(t0).toISOString() },
      ],
    });
  });

  it('shows ERROR_NOTIFICATIONS connectivity and faults only, descriptions falling back to English', async () => {
    await busyGateway();
    const body = await statusOf(errorsOnly);
    expect(Object.keys(body).sort()).toEqual(['connectivity', 'consent', 'faults', 'gatewayId']);
    expect(body.consent).toBe('ERROR_NOTIFICATIONS');
    expect(body.connectivity.status).toBe('ONLINE');
    expect(body.faults.map((f: { displayCode: string }) => f.displayCode)).toEqual(['A11']);
    expect(Object.keys(body.faults[0].descriptions)).toEqual(['en']);
  });

  it('tells the latest reported values: OFFLINE since the change, a resolved fault gone, a sub-threshold change not shown', async () => {
    await busyGateway();
    hh.clock.advance(MINUTE);
    const changedAt = hh.clock.now();
    await gatewaySays(
      { kind: 'datapoint', key: POWER, value: 1460, unit: 'W' }, // under the 100 W threshold: not reported
      { kind: 'datapoint', key: OPERATION, value: 'DHW' },
      { ...A11, active: false },
      { kind: 'connection', status: 'DISCONNECTED' },
    );
    const body = await statusOf(monitor);
    expect(body.connectivity).toMatchObject({ status: 'OFFLINE', since: new Date(changedAt).toISOString() });
    expect(body.faults).toEqual([]);
    expect(body.operationStatus).toMatchObject({ value: 'DHW', timestamp: new Date(changedAt).toISOString() });
    expect(body.dataPoints.find((d: { key: string }) => d.key === POWER).value).toBe(1450);
  });

  it('shows a gateway that never reported with no connectivity, faults or values', async () => {
    expect(await statusOf(monitor)).toEqual({
      gatewayId,
      consent: 'MONITOR_AND_CONTROL',
      connectivity: null,
      faults: [],
      operationStatus: null,
      dataPoints: [],
    });
  });

  it('is 404 for a gateway of another partner, a PENDING or ended contract, and an unknown gateway', async () => {
    await busyGateway();
    const stranger = await createPartner(hh.app);
    expect((await status(stranger)).statusCode).toBe(404);

    const pending = await createPartner(hh.app);
    await pair(hh.app, gatewayId, pending.companyId);
    expect((await status(pending)).statusCode).toBe(404);

    await actOnContract(hh.app, monitor, gatewayId, 'REVOKE');
    const revoked = await status(monitor);
    expect(revoked.statusCode).toBe(404);
    expect(revoked.headers['content-type']).toContain('application/problem+json');
    expect(revoked.body).not.toContain('A11');

    expect((await status(errorsOnly, '999999999')).statusCode).toBe(404);
  });

  it('refuses a gateway id that is not digits with a 400 naming the parameter', async () => {
    const res = await status(monitor, 'abc');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('/params/gatewayId');
  });
});
