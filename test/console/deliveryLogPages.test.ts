import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
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
    await h.emit(partner.gatewayId, 60);
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

  it("shows a row's last answer once: an error that only repeats the status code is left out", async () => {
    await h.emit(partner.gatewayId, 2);
    const ids = await deliveryIds(h.hh.rt.store);
    const [a, b] = (await h.deliveries(partner.webhookId)).map((d) => d.id);
    await h.hh.rt.store.run("UPDATE deliveries SET status = 'dead', last_status_code = 503, last_error = 'HTTP 503' WHERE id = ?", [a]);
    await h.hh.rt.store.run("UPDATE deliveries SET status = 'dead', last_status_code = NULL, last_error = 'connect ECONNREFUSED' WHERE id = ?", [b]);
    const page = await session.get('/console/deliveries');
    const row = (id: number) => new RegExp(`<tr id="delivery-${ids.encode(id)}"[\\s\\S]*?</tr>`).exec(page.body)?.[0] ?? '';
    expect(row(a)).toMatch(/<td class="narrow-hide log-answer">503<\/td>/);
    expect(row(b)).toContain('<span class="muted small" title="connect ECONNREFUSED">connect ECONNREFUSED</span>');
  });

  const emit = (n: number) => h.emit(partner.gatewayId, n);
  const HOUR = 3_600_000;

  /** 5 deliveries at 12:00, 60 at 13:00, 5 at 14:00 (the clock starts 2026-06-01T12:00 UTC); public ids, newest first. */
  async function threeHours() {
    await emit(5);
    h.hh.clock.advance(HOUR);
    await emit(60);
    h.hh.clock.advance(HOUR);
    await emit(5);
    const ids = await deliveryIds(h.hh.rt.store);
    const rows = (await h.deliveries(partner.webhookId)).sort((a, b) => b.id - a.id);
    const at = (hour: number) => rows.filter((d) => new Date(Number(d.created_at)).getUTCHours() === hour).map((d) => ids.encode(d.id));
    return { twelve: at(12), thirteen: at(13), fourteen: at(14) };
  }

  it('shows only the deliveries created before until (exclusive), newest first, and Older keeps it', async () => {
    const { twelve, thirteen } = await threeHours();
    // 14:00 exactly: the deliveries made at 14:00 are left out.
    const first = await session.get('/console/deliveries?until=2026-06-01T14:00');
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('name="until" value="2026-06-01T14:00"');
    expect(rowIds(first.body)).toEqual([...thirteen, ...twelve].slice(0, 50));
    const next = older(first.body)!;
    expect(next).toBe(`/console/deliveries?until=2026-06-01T14%3A00&after=${thirteen[49]}`);
    const second = await session.get(next);
    expect(rowIds(second.body)).toEqual([...thirteen, ...twelve].slice(50));
  });

  it('shows one hour with since and until, paging back within it', async () => {
    const { thirteen } = await threeHours();
    const first = await session.get('/console/deliveries?since=2026-06-01T13:00&until=2026-06-01T13:59:59');
    expect(first.statusCode).toBe(200);
    expect(rowIds(first.body)).toEqual(thirteen.slice(0, 50));
    const second = await session.get(older(first.body)!);
    expect(older(first.body)).toContain('since=2026-06-01T13%3A00&until=2026-06-01T13%3A59%3A59&after=');
    expect(rowIds(second.body)).toEqual(thirteen.slice(50));
    expect(older(second.body)).toBeUndefined();
    // since = until is an empty window, not an error.
    const empty = await session.get('/console/deliveries?since=2026-06-01T13:00&until=2026-06-01T13:00');
    expect(empty.statusCode).toBe(200);
    expect(rowIds(empty.body)).toEqual([]);
  });

  it('answers a filter that cannot be one with a 400 naming its field, not an empty log', async () => {
    for (const [query, field] of [
      ['since=2026-13-45T99:99', '/querystring/since'],
      ['since=2026-02-30T10:00', '/querystring/since'],
      ['since=yesterday', '/querystring/since'],
      ['until=2026-02-30T10:00', '/querystring/until'],
      ['until=tomorrow', '/querystring/until'],
      ['since=2026-06-01T12:00&until=2026-06-01T11:00', '/querystring/until'],
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
    expect((await session.get('/console/deliveries?since=2026-06-01T11:00&until=')).statusCode).toBe(200);
  });
});
