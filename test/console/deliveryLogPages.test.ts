import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import type { Harness } from '../recovery/harness.js';
import { type ConsoleSession, startSignedInPartner } from './consoleSession.js';

/** The delivery log's pages: older ones through the API's cursor, each row's webhook, and a clear 400 for a filter that cannot be one. */
describe('the delivery log pages', () => {
  let h: Harness;
  let partner: Awaited<ReturnType<Harness['partner']>>;
  let session: ConsoleSession;

  beforeEach(async () => {
    ({ h, partner, session } = await startSignedInPartner());
    await h.hh.rt.store.run("UPDATE webhooks SET description = 'Dispatch <board>' WHERE id = ?", [partner.webhookId]);
  });
  afterEach(() => h.close());

  const rowIds = (html: string) => [...html.matchAll(/<tr id="delivery-(dlv_[^"]+)"/g)].map((m) => m[1]);
  const older = (html: string) => /<a href="([^"]+)" rel="next" data-older>/.exec(html)?.[1].replaceAll('&amp;', '&');

  it('pages to older deliveries with the API cursor (after), keeping the filters, and names each row\'s webhook', async () => {
    await h.hh.rt.store.transaction((tx) =>
      fanOut(
        tx,
        h.hh.rt.clock.now(),
        Array.from({ length: 60 }, () => ({ type: 'CONNECTIVITY_STATUS' as const, gatewayId: partner.gatewayId, data: { connectivityStatus: 'OFFLINE' } })),
      ),
    );
    const ids = await deliveryIds(h.hh.rt.store);
    const all = (await h.deliveries(partner.webhookId)).map((d) => ids.encode(d.id)).reverse();

    const first = await session.get(`/console/deliveries?status=pending&webhookId=${partner.webhookId}`);
    expect(first.statusCode).toBe(200);
    expect(rowIds(first.body)).toEqual(all.slice(0, 50));
    expect(first.body).toContain(`<a href="/console/webhooks/${partner.webhookId}" title="Dispatch &lt;board&gt;">Dispatch &lt;board&gt;</a>`);
    const next = older(first.body)!;
    expect(next).toBe(`/console/deliveries?status=pending&webhookId=${partner.webhookId}&after=${all[49]}`);

    const second = await session.get(next);
    expect(rowIds(second.body)).toEqual(all.slice(50));
    expect(older(second.body)).toBeUndefined();
    expect(second.body).toContain('data-newest');
    // Its live stream is that page's: it names the same cursor.
    expect(second.body).toContain(`data-src="/console/deliveries/live?status=pending&amp;webhookId=${partner.webhookId}&amp;after=${all[49]}"`);
  });

  it('answers a filter that cannot be one with a 400 naming its field, not an empty log', async () => {
    for (const [query, field] of [
      ['since=2026-13-45T99:99', '/querystring/since'],
      ['since=2026-02-30T10:00', '/querystring/since'],
      ['since=yesterday', '/querystring/since'],
      ['after=dlv_AAAAAAAAAAAAAAAAAAAAAA', '/querystring/after'],
      ['webhookId=wh_someone_else', '/querystring/webhookId'],
      ['status=lost', 'status'],
    ]) {
      const page = await session.get(`/console/deliveries?${query}`);
      expect(page.statusCode, query).toBe(400);
      expect(page.headers['content-type'], query).toContain('text/html');
      expect(page.body, query).toContain(field);
      const json = await session.get(`/console/deliveries?${query}`, { accept: 'application/json' });
      expect(json.statusCode, query).toBe(400);
    }
    expect((await session.get('/console/deliveries?since=2026-06-01T11:00&status=&eventType=')).statusCode).toBe(200);
  });
});
