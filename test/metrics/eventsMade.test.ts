import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportPendingFaults } from '../../src/scheduler/jobs/reportPendingFaults.js';
import { createGateway, createPartner, expectCall, pairActive } from '../api/fixtures.js';
import { scrape } from '../helpers/prometheus.js';
import { admin, ingest, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

/** hearthook_events_total counts every event committed, not only those ingest made. */
describe('hearthook_events_total', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
  });
  afterEach(() => hh.close());

  const events = async (type: string) => (await scrape(hh.app, admin)).value('hearthook_events_total', { type }) ?? 0;

  it("counts contracts' CONTRACT_STATUS and the scheduler's confirmed faults beside ingest's events", async () => {
    const { gatewayId } = await createGateway(hh.app);
    const partner = await createPartner(hh.app);
    expect(await events('CONTRACT_STATUS')).toBe(0);
    await pairActive(hh.app, gatewayId, partner, 'MONITOR_AND_CONTROL'); // PENDING → ACTIVE: one event
    expect(await events('CONTRACT_STATUS')).toBe(1);

    const fault = { kind: 'fault', gatewayId, displayCode: 'A11', causeCode: 3061, severity: 'ERROR', active: true, sentAt: new Date(hh.clock.now()).toISOString() };
    await expectCall(hh.app, 'POST', '/v1/ingest', ingest, [{ kind: 'connection', gatewayId, status: 'CONNECTED' }, fault], 202);
    expect(await events('CONNECTIVITY_STATUS')).toBe(1); // made at ingest
    expect(await events('APPLIANCE_STATUS')).toBe(0); // a fault waits out the transient window first
    hh.clock.advance(2 * 60_000);
    expect(await reportPendingFaults(hh.rt)).toBe(1);
    expect(await events('APPLIANCE_STATUS')).toBe(1);
  });
});
