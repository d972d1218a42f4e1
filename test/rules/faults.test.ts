import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportPendingFaults } from '../../src/scheduler/jobs/reportPendingFaults.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway, addPartner, events, MINUTE, send } from '../ingest/fixtures.js';

const A11 = { kind: 'fault', displayCode: 'A11', causeCode: 3061, severity: 'ERROR' };

async function applianceStatuses(hh: TestHearthook) {
  return (await events(hh.rt, 'APPLIANCE_STATUS')).map((e) => e.data);
}

describe('appliance status rule', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
    await addGateway(hh.rt);
  });
  afterEach(() => hh.close());

  it('never reports a fault that clears within the transient window', async () => {
    await send(hh, { ...A11, active: true });
    hh.clock.advance(1 * MINUTE);
    expect(await reportPendingFaults(hh.rt)).toBe(0);
    hh.clock.advance(MINUTE - 1);
    await send(hh, { ...A11, active: false });
    hh.clock.advance(10 * MINUTE);
    expect(await reportPendingFaults(hh.rt)).toBe(0);
    expect(await applianceStatuses(hh)).toEqual([]);
  });

  it('reports a fault active longer than the window once as ACTIVE and its clearing once as RESOLVED', async () => {
    const { webhookId } = await addPartner(hh.rt, { consent: 'ERROR_NOTIFICATIONS' });
    await send(hh, { ...A11, active: true, sentAt: '2026-06-01T11:59:30Z' });
    hh.clock.advance(2 * MINUTE - 1);
    expect(await reportPendingFaults(hh.rt)).toBe(0);
    hh.clock.advance(1);
    expect(await reportPendingFaults(hh.rt)).toBe(1);
    expect(await reportPendingFaults(hh.rt)).toBe(0);
    // The gateway repeating the active fault reports nothing.
    await send(hh, { ...A11, active: true });
    hh.clock.advance(10 * MINUTE);
    expect(await reportPendingFaults(hh.rt)).toBe(0);
    await send(hh, { ...A11, active: false });
    await send(hh, { ...A11, active: false });

    const descriptions = {
      en: 'No communication with the mixer module of heating circuit 1',
      de: 'Keine Kommunikation mit dem Mischermodul von Heizkreis 1',
    };
    expect(await applianceStatuses(hh)).toEqual([
      { status: 'ACTIVE', severity: 'ERROR', displayCode: 'A11', causeCode: 3061, descriptions },
      { status: 'RESOLVED', severity: 'ERROR', displayCode: 'A11', causeCode: 3061, descriptions },
    ]);
    const [active] = await events(hh.rt, 'APPLIANCE_STATUS');
    expect(active.occurred_at).toBe(Date.parse('2026-06-01T11:59:30Z'));
    const deliveries = await hh.rt.store.all<{ type: string }>(
      'SELECT e.type FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.webhook_id = ? ORDER BY d.sequence',
      [webhookId],
    );
    expect(deliveries.map((d) => d.type)).toEqual(['CONNECTIVITY_STATUS', 'APPLIANCE_STATUS', 'APPLIANCE_STATUS']);
  });

  it('reports a fault that lasted the window but cleared before the job ran as ACTIVE then RESOLVED', async () => {
    await send(hh, { ...A11, active: true, sentAt: '2026-06-01T11:50:00Z' });
    // The clear arrives in the same upload, but the gateway's own times show it lasted 3 minutes.
    await send(hh, { ...A11, active: false, sentAt: '2026-06-01T11:53:00Z' });
    expect((await applianceStatuses(hh)).map((d) => d.status)).toEqual(['ACTIVE', 'RESOLVED']);
  });

  it('ignores INFO faults', async () => {
    await send(hh, { ...A11, severity: 'INFO', active: true });
    hh.clock.advance(30 * MINUTE);
    expect(await reportPendingFaults(hh.rt)).toBe(0);
    await send(hh, { ...A11, severity: 'INFO', active: false });
    expect(await applianceStatuses(hh)).toEqual([]);
  });

  it('reports a WARNING too, and describes a code missing from the catalog with a generic text naming it', async () => {
    await send(hh, { kind: 'fault', displayCode: 'Z99', causeCode: '0042', severity: 'WARNING', active: true });
    hh.clock.advance(5 * MINUTE);
    expect(await reportPendingFaults(hh.rt)).toBe(1);
    const [event] = await applianceStatuses(hh);
    expect(event).toMatchObject({ status: 'ACTIVE', severity: 'WARNING', displayCode: 'Z99', causeCode: '0042' });
    const descriptions = event.descriptions as Record<string, string>;
    expect(descriptions.en).toContain('Z99/0042');
    expect(descriptions.de).toContain('Z99/0042');
  });

  it('tracks several faults of one gateway independently', async () => {
    await send(hh, { ...A11, active: true });
    hh.clock.advance(MINUTE);
    await send(hh, { kind: 'fault', displayCode: 'H07', causeCode: 1017, severity: 'WARNING', active: true });
    hh.clock.advance(MINUTE);
    expect(await reportPendingFaults(hh.rt)).toBe(1); // A11 only: H07 is 1 minute old
    await send(hh, { kind: 'fault', displayCode: 'H07', causeCode: 1017, severity: 'WARNING', active: false });
    hh.clock.advance(5 * MINUTE);
    expect(await reportPendingFaults(hh.rt)).toBe(0);
    expect((await applianceStatuses(hh)).map((d) => `${d.displayCode} ${d.status}`)).toEqual(['A11 ACTIVE']);
  });
});
