import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetCounters } from '../../src/console/queries/fleet.js';
import { scrape } from '../helpers/prometheus.js';
import { seedPartner } from '../helpers/seed.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

/**
 * The oldest due age counts what a dispatcher would claim now (audit 3 of issue 14, finding 3):
 * a disabled webhook's deliveries wait on purpose and made the age climb for ever.
 */
describe('the oldest due age', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
  });
  afterEach(async () => hh.close());

  /** A delivery of `webhookId` waiting for a retry that was due `agoMs` ago. */
  const queue = (webhookId: string, gatewayId: string, agoMs: number) =>
    hh.rt.store.run(
      `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES ('evt_test', ?, ?, 1, 'failed', 1, ?, ?, ?)`,
      [webhookId, gatewayId, hh.clock.now() - agoMs, hh.clock.now() - agoMs, hh.clock.now()],
    );
  const setEnabled = (webhookId: string, enabled: boolean) =>
    hh.rt.store.run('UPDATE webhooks SET enabled = ? WHERE id = ?', [enabled ? 1 : 0, webhookId]);
  /** The age as `/metrics` and the operator's fleet page read it, in seconds. */
  const ages = async () => [
    (await scrape(hh.app, admin)).value('hearthook_queue_oldest_due_age_seconds'),
    (await fleetCounters(hh.rt.store, hh.clock.now())).oldestDueAgeMs / 1000,
  ];

  it("leaves out a disabled webhook's due deliveries and counts an enabled one's", async () => {
    const paused = await seedPartner(hh.rt, { url: 'http://127.0.0.1:9/paused' });
    const working = await seedPartner(hh.rt, { url: 'http://127.0.0.1:9/working' });
    await queue(paused.webhookId, paused.gatewayId, 600_000);
    await setEnabled(paused.webhookId, false);
    expect(await ages()).toEqual([0, 0]);

    await queue(working.webhookId, working.gatewayId, 60_000);
    expect(await ages()).toEqual([60, 60]);
    hh.clock.advance(5_000);
    expect(await ages()).toEqual([65, 65]);

    // Enabled again, its delivery may go: it is the oldest due again.
    await setEnabled(paused.webhookId, true);
    expect(await ages()).toEqual([605, 605]);
  });
});
