import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway, addPartner, send } from '../ingest/fixtures.js';

/** Deliveries queued per webhook so far. */
async function deliveriesByWebhook(hh: TestHearthook): Promise<Record<string, number>> {
  const rows = await hh.rt.store.all<{ webhook_id: string; n: number }>(
    'SELECT webhook_id, COUNT(*) AS n FROM deliveries GROUP BY webhook_id ORDER BY webhook_id',
  );
  return Object.fromEntries(rows.map((r) => [r.webhook_id, Number(r.n)]));
}

/**
 * Fan-out keeps gateways' recipients between batches (src/fanout/recipientCache.ts). Every kind
 * of change to contracts and webhooks must reach the next batch, whoever made it: here each is
 * made with plain SQL, as another node or an operator's script would.
 */
describe('fan-out recipients', () => {
  let hh: TestHearthook;
  let flip = false;
  const connection = () => {
    flip = !flip;
    return { kind: 'connection', status: flip ? 'DISCONNECTED' : 'CONNECTED' };
  };
  beforeEach(async () => {
    hh = await startTestHearthook();
    await addGateway(hh.rt);
    await addPartner(hh.rt, { company: 'cmp_a' });
    await send(hh, connection()); // recipients read and kept
  });
  afterEach(() => hh.close());

  it('follow a new contract and a new webhook', async () => {
    await addPartner(hh.rt, { company: 'cmp_b' });
    await send(hh, connection());
    expect(await deliveriesByWebhook(hh)).toEqual({ wh_cmp_a: 2, wh_cmp_b: 1 });
  });

  it('follow a contract that is revoked, made active again, or deleted', async () => {
    await hh.rt.store.run("UPDATE contracts SET status = 'REVOKED' WHERE company_id = 'cmp_a'");
    await send(hh, connection());
    await hh.rt.store.run("UPDATE contracts SET status = 'ACTIVE', consent = 'ERROR_NOTIFICATIONS' WHERE company_id = 'cmp_a'");
    await send(hh, connection()); // ERROR_NOTIFICATIONS covers CONNECTIVITY_STATUS
    await hh.rt.store.run("DELETE FROM contracts WHERE company_id = 'cmp_a'");
    await send(hh, connection());
    expect(await deliveriesByWebhook(hh)).toEqual({ wh_cmp_a: 2 });
  });

  it('follow a webhook that is disabled, resubscribed, or deleted', async () => {
    await hh.rt.store.run("UPDATE webhooks SET enabled = 0 WHERE id = 'wh_cmp_a'");
    await send(hh, connection());
    await hh.rt.store.run(`UPDATE webhooks SET enabled = 1, event_types = '["DATA_POINT"]' WHERE id = 'wh_cmp_a'`);
    await send(hh, connection());
    await hh.rt.store.run(`UPDATE webhooks SET event_types = '["CONNECTIVITY_STATUS"]' WHERE id = 'wh_cmp_a'`);
    await send(hh, connection());
    await hh.rt.store.run("DELETE FROM webhooks WHERE id = 'wh_cmp_a'");
    await send(hh, connection());
    expect(await deliveriesByWebhook(hh)).toEqual({ wh_cmp_a: 2 });
  });

  it('are not re-read while nothing changes, and the delivery bookkeeping does not count as a change', async () => {
    const version = async () => (await hh.rt.store.get<{ version: number }>('SELECT version FROM recipients_version'))?.version;
    const before = await version();
    await hh.rt.store.run("UPDATE webhooks SET failing_since = 1, api_version = 2 WHERE id = 'wh_cmp_a'");
    await send(hh, connection());
    expect(await version()).toBe(before);
    expect(await deliveriesByWebhook(hh)).toEqual({ wh_cmp_a: 2 });
  });
});
