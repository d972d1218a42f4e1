import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import { type Harness, startHarness } from '../recovery/harness.js';
import { ConsoleSession } from './consoleSession.js';

/**
 * Audit 3, finding 2: a delivery's "Request as sent" and its API attempts show where each attempt
 * went (migration 026), not the webhook as it is now; the API key is never recorded or shown.
 */
describe("a delivery's attempts record where they went", () => {
  let h: Harness;
  let partner: Awaited<ReturnType<Harness['partner']>>;
  let session: ConsoleSession;

  beforeEach(async () => {
    h = await startHarness({ retrySchedule: [0, 5000, 60_000] });
    partner = await h.partner({ apiKeyLocation: 'QUERY' });
    session = new ConsoleSession(h.hh.app);
    expect((await session.signIn(partner.headers['x-api-key'])).statusCode).toBe(303);
  });
  afterEach(() => h.close());

  const original = () => h.receiver.url.replace('/hooks', '/original-path');
  const moved = () => h.receiver.url.replace('/hooks', '/moved-later');
  const patchWebhook = async (payload: Record<string, unknown>) => {
    // The dispatcher keeps a webhook until its updated_at changes; the test clock stands still.
    h.hh.clock.advance(1);
    const res = await h.hh.app.inject({ method: 'PATCH', url: `/v1/webhooks/${partner.webhookId}`, headers: partner.headers, payload });
    expect(res.statusCode).toBe(200);
  };
  const apiDelivery = async (publicId: string) => {
    const res = await h.hh.app.inject({ method: 'GET', url: `/v1/deliveries/${publicId}`, headers: partner.headers });
    expect(res.statusCode).toBe(200);
    return res;
  };
  /** The rows of the attempts table, in order: each row's "Sent to" cell's text. */
  const sentToCells = (html: string) => [...html.matchAll(/<td data-label="Sent to" data-sent-to>(.*?)<\/td>/g)].map((m) => m[1]);

  it('shows each attempt its own URL and key header after the partner moved both, and never the key', async () => {
    await patchWebhook({ url: original() });
    h.receiver.reply = () => ({ status: 503 });
    await h.emit(partner.gatewayId);
    await h.deliverDue();
    // The first attempt went to the original path with the key in its query.
    expect(h.receiver.received[0].url).toBe(`/original-path?x-api-key=${partner.apiKey}`);

    await patchWebhook({ url: moved(), apiKeyLocation: 'HEADER', apiKeyName: 'x-other-key' });
    h.receiver.reply = () => ({ status: 200, body: 'ok' });
    h.hh.clock.advance(5500); // the retry step and its jitter (up to 10%)
    await h.deliverDue();
    expect(h.receiver.received[1].url).toBe('/moved-later');
    expect(h.receiver.received[1].headers['x-other-key']).toBe(partner.apiKey);
    const [delivery] = await h.deliveries(partner.webhookId);
    expect(delivery.status).toBe('delivered');

    // The database: the URL as sent with the key [redacted], the key's header, never the key.
    const rows = await h.hh.rt.store.all<Record<string, unknown>>('SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY id', [delivery.id]);
    expect(rows.map((r) => [r.url, r.api_key_header, r.languages])).toEqual([
      [`${original()}?x-api-key=[redacted]`, null, '["en"]'],
      [moved(), 'x-other-key', '["en"]'],
    ]);
    expect(JSON.stringify(rows)).not.toContain(partner.apiKey);

    // The API: each attempt's own url and key header.
    const publicId = (await deliveryIds(h.hh.rt.store)).encode(delivery.id);
    const api = await apiDelivery(publicId);
    expect(api.json().attempts.map((a: { url: string; apiKeyHeader: string | null }) => [a.url, a.apiKeyHeader])).toEqual([
      [`${original()}?x-api-key=[redacted]`, null],
      [moved(), 'x-other-key'],
    ]);
    expect(api.body).not.toContain(partner.apiKey);
    const list = await h.hh.app.inject({ method: 'GET', url: `/v1/webhooks/${partner.webhookId}/deliveries`, headers: partner.headers });
    expect(list.json().data[0].attempts[0].url).toBe(`${original()}?x-api-key=[redacted]`);

    // The page: each attempt where it went; the request of the latest, and that they differ.
    const page = await session.get(`/console/deliveries/${publicId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(partner.apiKey);
    const cells = sentToCells(page.body);
    expect(cells).toHaveLength(2);
    expect(cells[0]).toContain(`${original()}?x-api-key=[redacted]`);
    expect(cells[0]).not.toContain('key in header');
    expect(cells[1]).toContain(moved());
    expect(cells[1]).toContain('key in header <code>x-other-key</code>');
    expect(page.body).toContain(`data-sent-url>${moved()}</span>`);
    expect(page.body).toContain('<dt>x-other-key</dt><dd><code>[redacted]</code></dd>');
    expect(page.body).toContain('data-targets-differ');
    expect(page.body).not.toContain('data-rebuilt');

    // Moved back to the query: the page still shows what attempt 2 sent, not the webhook now.
    await patchWebhook({ url: original(), apiKeyLocation: 'QUERY', apiKeyName: 'apikey' });
    const later = await session.get(`/console/deliveries/${publicId}`);
    expect(later.body).toContain(`data-sent-url>${moved()}</span>`);
    expect(later.body).toContain('<dt>x-other-key</dt>');
  });

  it('rebuilds an attempt from before migration 026 (no target recorded) from the webhook as it is now, and says so', async () => {
    await h.emit(partner.gatewayId);
    await h.deliverDue();
    const [delivery] = await h.deliveries(partner.webhookId);
    await h.hh.rt.store.run('UPDATE delivery_attempts SET url = NULL, api_key_header = NULL, languages = NULL WHERE delivery_id = ?', [delivery.id]);
    await patchWebhook({ url: moved(), apiKeyLocation: 'HEADER', apiKeyName: 'x-other-key' });
    const publicId = (await deliveryIds(h.hh.rt.store)).encode(delivery.id);

    const page = await session.get(`/console/deliveries/${publicId}`);
    expect(page.body).toContain('data-rebuilt');
    expect(page.body).toContain('rebuilt from the webhook as it is now');
    expect(page.body).toContain(`data-sent-url>${moved()}</span>`);
    expect(sentToCells(page.body)[0]).toContain('not recorded');
    expect(page.body).not.toContain(partner.apiKey);
    expect((await apiDelivery(publicId)).json().attempts[0]).toMatchObject({ statusCode: 200, url: null, apiKeyHeader: null });
  });
});
