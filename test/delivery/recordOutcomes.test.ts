import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDeliveries } from '../../src/delivery/queue/claimDeliveries.js';
import { type Outcome, recordOutcomes } from '../../src/delivery/recordOutcomes.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import { seedPartner } from '../helpers/seed.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

/**
 * A batch of successes is written by one statement on PostgreSQL (completeAndLogDeliveries.ts)
 * and by a transaction on SQLite: on either engine, only the rows their claim still holds move,
 * and only those get an attempt row and count as their endpoint's success.
 */
describe('recording a batch of successful outcomes', () => {
  let hh: TestHearthook;
  const gatewayId = '555000222';
  const schedule = [0, 5000, 60_000];

  beforeEach(async () => {
    hh = await startTestHearthook({ retrySchedule: schedule });
  });
  afterEach(async () => {
    await hh.close();
  });

  /** Two deliveries of one webhook, claimed under `token`, the webhook in a failing run. */
  async function claimTwo(token: string) {
    const { webhookId } = await seedPartner(hh.rt, { url: 'http://127.0.0.1:9/hook', gatewayId });
    const now = hh.rt.clock.now();
    await hh.rt.store.transaction((tx) =>
      fanOut(tx, now, [
        { type: 'CONNECTIVITY_STATUS', gatewayId, data: { connectivityStatus: 'OFFLINE' } },
        { type: 'CONNECTIVITY_STATUS', gatewayId, data: { connectivityStatus: 'ONLINE' } },
      ]),
    );
    await hh.rt.store.run('UPDATE webhooks SET failing_since = ? WHERE id = ?', [now - 60_000, webhookId]);
    const claimed = await claimDeliveries(hh.rt.store, { token, now, leaseMs: 60_000, limit: 10, scheduleLength: schedule.length });
    expect(claimed).toHaveLength(2);
    return { webhookId, claimed: claimed.sort((a, b) => a.id - b.id) };
  }

  const succeeded = (delivery: Outcome['delivery']): Outcome => ({
    delivery,
    attemptedAt: hh.rt.clock.now(),
    result: { sent: { statusCode: 200, headers: {}, body: 'ok', error: null, durationMs: 3 } },
    major: 2,
  });
  const deliveries = () =>
    hh.rt.store.all<{ id: number; status: string; claim_token: string; last_status_code: number | null; api_version: number | null }>(
      'SELECT id, status, claim_token, last_status_code, api_version FROM deliveries ORDER BY id',
    );
  const attempts = () =>
    hh.rt.store.all<{ delivery_id: number; claim_token: string; status_code: number; response_body: string; duration_ms: number }>(
      'SELECT delivery_id, claim_token, status_code, response_body, duration_ms FROM delivery_attempts ORDER BY delivery_id',
    );
  const failingSince = async (webhookId: string) =>
    (await hh.rt.store.get<{ failing_since: number | null }>('SELECT failing_since FROM webhooks WHERE id = ?', [webhookId]))?.failing_since;

  it('completes the rows the claim still holds, logs their attempts and ends the failing run; a row taken over changes nothing', async () => {
    const { webhookId, claimed } = await claimTwo('node-a.1');
    const [kept, lost] = claimed;
    await hh.rt.store.run("UPDATE deliveries SET claim_token = 'node-b.1' WHERE id = ?", [lost.id]);

    const recorded = await recordOutcomes(hh.rt.store, [succeeded(kept), succeeded(lost)], hh.rt.clock.now(), schedule);

    expect(recorded.stale.map((o) => o.delivery.id)).toEqual([lost.id]);
    expect(recorded.finished.map((f) => [f.delivery.id, f.outcome, f.result.statusCode])).toEqual([[kept.id, 'delivered', 200]]);
    expect(await deliveries()).toEqual([
      { id: kept.id, status: 'delivered', claim_token: 'node-a.1', last_status_code: 200, api_version: 2 },
      { id: lost.id, status: 'delivering', claim_token: 'node-b.1', last_status_code: null, api_version: null },
    ]);
    expect(await attempts()).toEqual([{ delivery_id: kept.id, claim_token: 'node-a.1', status_code: 200, response_body: 'ok', duration_ms: 3 }]);
    expect(await failingSince(webhookId)).toBeNull();
  });

  it('writes nothing at all when every row of the batch was taken over by another claim', async () => {
    const { webhookId, claimed } = await claimTwo('node-a.1');
    await hh.rt.store.run("UPDATE deliveries SET claim_token = 'node-b.1'");
    const before = await failingSince(webhookId);

    const recorded = await recordOutcomes(hh.rt.store, claimed.map(succeeded), hh.rt.clock.now(), schedule);

    expect(recorded.stale).toHaveLength(2);
    expect(recorded.finished).toEqual([]);
    expect((await deliveries()).map((d) => [d.status, d.claim_token, d.last_status_code])).toEqual([
      ['delivering', 'node-b.1', null],
      ['delivering', 'node-b.1', null],
    ]);
    expect(await attempts()).toEqual([]);
    expect(await failingSince(webhookId)).toBe(before);
    expect(before).not.toBeNull();
  });
});
