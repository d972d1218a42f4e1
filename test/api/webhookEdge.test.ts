import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESTINATION_NOT_ALLOWED } from '../../src/delivery/addressPolicy.js';
import { EMBEDDED_PRIVATE_IPV6 } from '../delivery/privateAddresses.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { startHarness } from '../recovery/harness.js';
import { createPartner, createWebhook, PAGE_REGISTRATION, type Partner, snapshot } from './fixtures.js';

const RESERVED = [
  'host',
  'Content-Type',
  'content-length',
  'Transfer-Encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'User-Agent',
  'webhook-signature',
  'Webhook-Id',
  'webhook-timestamp',
  'webhook-anything',
  'X-API-Version',
];

describe('what a webhook registration may say at the edge', () => {
  let hh: TestHearthook;
  let partner: Partner;
  let webhookId: string;
  beforeAll(async () => {
    // No allow-list: every private destination is refused, as in production.
    hh = await startTestHearthook({ allowPrivateNetworks: [] });
    partner = await createPartner(hh.app);
    webhookId = (await createWebhook(hh.app, partner.apiKey, { url: 'http://partner.example/hooks' })).id;
  });
  afterAll(() => hh.close());

  /** Registers (POST) or changes (PATCH) with `fields`; must answer 400 naming `field` and change nothing. */
  async function refused(fields: Record<string, unknown>, field: string, message?: RegExp) {
    for (const [method, url, payload] of [
      ['POST', '/v1/webhooks', { ...PAGE_REGISTRATION, url: 'http://partner.example/', eventTypes: ['DATA_POINT'], ...fields }],
      ['PATCH', `/v1/webhooks/${webhookId}`, fields],
    ] as const) {
      const before = await snapshot(hh.rt);
      const res = await hh.app.inject({ method, url, headers: partner.headers, payload });
      expect(res.statusCode, `${method} ${JSON.stringify(fields)}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const errors = res.json<{ errors: Array<{ field: string; message: string }> }>().errors;
      expect(errors.map((e) => e.field)).toContain(field);
      if (message) expect(errors.find((e) => e.field === field)?.message).toMatch(message);
      expect(await snapshot(hh.rt)).toEqual(before);
    }
  }

  it.each(RESERVED)('refuses the reserved header name %s as apiKeyName, on registration and on PATCH', async (name) => {
    await refused({ apiKeyName: name }, '/body/apiKeyName', /reserves/);
  });

  it('accepts authorization and other plain names as apiKeyName', async () => {
    for (const apiKeyName of ['authorization', 'x-api-key', 'X-Partner-Token', 'webhook', 'hosting']) {
      await createWebhook(hh.app, partner.apiKey, { url: 'http://partner.example/', apiKeyName });
    }
  });

  it('accepts an apiKey with inner spaces, and refuses CR, LF, NUL, tabs and spaces at either end', async () => {
    await createWebhook(hh.app, partner.apiKey, { url: 'http://partner.example/', apiKeyName: 'authorization', apiKey: 'Bearer abc def' });
    for (const apiKey of ['Bearer abc\r\nx-evil: 1', 'Bearer\nabc', 'abc\u0000', 'Bearer\tabc', ' Bearer abc', 'Bearer abc ', '', 'ключ']) {
      await refused({ apiKey }, '/body/apiKey');
    }
  });

  it.each([
    ['IPv4 loopback', '127.0.0.1'],
    ['IPv4 metadata', '169.254.169.254'],
    ['IPv4 as a decimal number', '2130706433'],
    ['IPv6 loopback', '[::1]'],
    ['IPv6 unique-local', '[fd00::1]'],
    ...EMBEDDED_PRIVATE_IPV6.map(([form, address]) => [form, `[${address}]`]),
    ['IPv4-compatible, as written in the issue', '[::127.0.0.1]'],
  ])('refuses a URL whose host is a literal %s address (%s) on registration and on PATCH', async (_form, host) => {
    await refused({ url: `http://${host}:8080/hooks` }, '/body/url', new RegExp(DESTINATION_NOT_ALLOWED));
  });

  it('accepts literal public addresses, and leaves host names to the connect-time check', async () => {
    for (const host of ['93.184.216.34', '[2606:4700:4700::1111]', '[::ffff:8.8.8.8]', 'localhost']) {
      await createWebhook(hh.app, partner.apiKey, { url: `http://${host}/hooks` });
    }
  });
});

describe('what a webhook endpoint receives and where it may be', () => {
  it('sends an apiKey with a space as is, so a receiver can ask for Authorization: Bearer …', async () => {
    const h = await startHarness();
    try {
      const p = await h.partner({ eventTypes: ['CONNECTIVITY_STATUS'] });
      await h.hh.app.inject({ method: 'DELETE', url: `/v1/webhooks/${p.webhookId}`, headers: p.headers });
      await createWebhook(h.hh.app, p.headers['x-api-key'], {
        url: h.receiver.url,
        apiKeyName: 'Authorization',
        apiKey: 'Bearer abc.def',
        eventTypes: ['CONNECTIVITY_STATUS'],
      });
      await h.emit(p.gatewayId);
      await h.deliverDue();
      expect(h.receiver.received).toHaveLength(1);
      expect(h.receiver.received[0].headers.authorization).toBe('Bearer abc.def');
    } finally {
      await h.close();
    }
  });

  it('refuses each embedded-IPv4 IPv6 form at connect time too, without naming the address', async () => {
    const h = await startHarness({ allowPrivateNetworks: [], retrySchedule: [0] });
    try {
      const webhooks: string[] = [];
      for (const [, address] of EMBEDDED_PRIVATE_IPV6) {
        // Written straight into the store: registration would refuse these already.
        const p = await h.partner({ eventTypes: ['CONNECTIVITY_STATUS'] });
        await h.hh.rt.store.run('UPDATE webhooks SET url = ? WHERE id = ?', [`http://[${address}]:${h.receiver.port}/hooks`, p.webhookId]);
        await h.emit(p.gatewayId);
        webhooks.push(p.webhookId);
      }
      await h.deliverDue();
      expect(h.receiver.received).toHaveLength(0);
      const rows = await h.hh.rt.store.all<{ webhook_id: string; error: string }>(
        'SELECT d.webhook_id, a.error FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id',
      );
      expect(rows.map((r) => r.webhook_id).sort()).toEqual([...webhooks].sort());
      for (const row of rows) {
        expect(row.error).toMatch(/destination not allowed/);
        expect(row.error).not.toMatch(/127\.0\.0\.1|7f00|10\.0\.0|192\.168|169\.254/);
      }
    } finally {
      await h.close();
    }
  });
});
