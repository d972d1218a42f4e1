import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { type RunningHearthook, startHearthook } from '../../src/server/startHearthook.js';
import { Receiver } from '../helpers/receiver.js';
import { until } from '../helpers/until.js';
import { seedPartner } from '../helpers/seed.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';
import { ADMIN_TOKEN, admin, INGEST_TOKEN, ingest } from '../helpers/testRuntime.js';
import { currentMajor, listVersions } from '../../src/versions/registry.js';
import { capture, launchChromium, layoutFaults, watchErrors, widerThanViewport } from './browser.js';
import { seedFleetSamples, seedHistory } from './history.js';
import pino from 'pino';
import { deliveryIds } from '../../src/api/deliveryIds.js';
import { fanOut } from '../../src/fanout/fanOut.js';

/**
 * The console in a real browser (Debian's chromium through playwright-core) against a real
 * Hearthook (API, dispatcher and scheduler in this process, listening on loopback) and a real
 * partner endpoint that the test makes fail and recover.
 */
describe('the console in a browser', () => {
  let hh: RunningHearthook;
  let base: string;
  let browser: Browser;
  let receiver: Receiver;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  let apiKey: string;
  let dropSchema = async () => {};
  const errors: string[] = [];
  let connected = false;
  let latestMajor = 0;
  let historyWebhookId = '';
  let seededSamples = 0;

  /** A gateway message that changes its connectivity, so each one makes one CONNECTIVITY_STATUS delivery. */
  const toggleGateway = async () => {
    connected = !connected;
    const res = await fetch(`${base}/v1/ingest`, {
      method: 'POST',
      headers: { ...ingest, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'connection', gatewayId: partner.gatewayId, status: connected ? 'CONNECTED' : 'DISCONNECTED' }),
    });
    expect(res.status).toBe(202);
  };

  const newPage = async (context: BrowserContext): Promise<Page> => {
    const page = await context.newPage();
    watchErrors(page, errors);
    return page;
  };
  const signIn = async (page: Page, credential: string) => {
    await page.goto(`${base}/console/sign-in`);
    await page.getByLabel('API key or operator token').fill(credential);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/(webhooks|operator)$/);
  };
  /** Opens a page, screenshots and checks it (capture), and checks it does not scroll sideways. */
  const visit = async (page: Page, name: string, path: string) => {
    await page.goto(`${base}${path}`);
    await capture(page, name);
    expect(await widerThanViewport(page)).toEqual([]);
  };
  const chartsDrawn = (page: Page) => page.waitForFunction(() => [...document.querySelectorAll('[data-chart]')].every((f) => f.querySelector('.uplot')));

  beforeAll(async () => {
    browser = await launchChromium();
    receiver = await new Receiver().start();
    const postgres = testPostgresUrl();
    const schema = postgres ? newTestSchema(postgres) : undefined;
    if (postgres && schema) dropSchema = () => dropTestSchema(postgres, schema.schema);
    const config = loadConfig(
      {},
      {
        port: 0,
        host: '127.0.0.1',
        database: schema?.database ?? ':memory:',
        adminToken: ADMIN_TOKEN,
        ingestToken: INGEST_TOKEN,
        allowHttp: true,
        allowPrivateNetworks: ['127.0.0.0/8'],
        // Three quick attempts, then dead: the walk sees a delivery die in a second.
        retrySchedule: [0, 200, 200],
        pollIntervalMs: 100,
        circuitFailureThreshold: 1000,
        logLevel: 'silent',
      },
    );
    hh = await startHearthook(config, ['api', 'worker', 'scheduler'], { log: pino({ level: process.env.CONSOLE_TEST_LOG ?? 'silent' }) });
    base = hh.url!.replace('0.0.0.0', '127.0.0.1');
    // Pinned to the oldest major still supported, so the walk can upgrade it after the side-by-side.
    const now = hh.rt.clock.now();
    const supported = listVersions(now, config.apiVersions).filter((v) => v.status === 'current' || v.status === 'deprecated');
    partner = await seedPartner(hh.rt, { url: receiver.url, eventTypes: ['CONNECTIVITY_STATUS'], apiVersion: supported[0].major });
    latestMajor = currentMajor(now, config.apiVersions);
    await hh.rt.store.run("UPDATE webhooks SET description = 'Dispatch board (production)' WHERE id = ?", [partner.webhookId]);
    await hh.rt.store.run("UPDATE companies SET name = 'Nordwind Heating' WHERE id = ?", [partner.companyId]);
    historyWebhookId = await seedHistory(hh.rt, partner.companyId, partner.gatewayId);
    seededSamples = await seedFleetSamples(hh.rt);
    const minted = await fetch(`${base}/v1/admin/companies/${partner.companyId}/api-keys`, { method: 'POST', headers: admin });
    apiKey = ((await minted.json()) as { apiKey: string }).apiKey;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hh?.stop();
    await receiver?.stop();
    await dropSchema();
  });

  it('walks a partner through a live delivery, a dead one, a retry and a secret rotation; an operator sees the fleet move', async () => {
    const partnerContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await newPage(partnerContext);
    await signIn(page, apiKey);
    expect(await page.content()).not.toContain(apiKey);

    // The whole log (with the seeded hour of another webhook), then the walked webhook's.
    await page.goto(`${base}/console/deliveries`);
    await page.waitForSelector('[data-live-state].on');
    // Live in words too (a live region), not only as the green dot.
    await expect(page.locator('[data-live-state][role="status"]').textContent()).resolves.toBe('Live');
    await capture(page, 'partner-deliveries-all');
    // A delivery appears live in the log, then its attempts on its own page.
    await page.goto(`${base}/console/deliveries?webhookId=${partner.webhookId}`);
    await page.waitForSelector('[data-live-state].on');
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    await toggleGateway();
    const delivered = page.locator('tbody tr[data-status="delivered"]');
    await delivered.first().waitFor();
    const firstId = (await delivered.first().getAttribute('id'))!.replace('delivery-', '');
    await page.locator(`#delivery-${firstId} a`).first().click();
    await page.waitForURL(new RegExp(`/console/deliveries/${firstId}$`));
    await expect.poll(() => page.locator('[data-attempts] tbody tr').count()).toBe(1);
    await expect(page.locator('[data-attempts] tbody tr').first().textContent()).resolves.toContain('200');
    await capture(page, 'partner-delivery');

    // The endpoint fails: the next delivery is tried three times and goes dead, live.
    receiver.reply = () => ({ status: 503, body: 'maintenance' });
    await page.goto(`${base}/console/deliveries?webhookId=${partner.webhookId}`);
    await page.waitForSelector('[data-live-state].on');
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    await toggleGateway();
    const dead = page.locator('tbody tr[data-status="dead"]');
    await dead.first().waitFor({ timeout: 20_000 });
    const deadId = (await dead.first().getAttribute('id'))!.replace('delivery-', '');
    await capture(page, 'partner-deliveries');

    // Fixed, retried from the row of the dead ones' view: it turns delivered without a reload,
    // though it no longer matches the view's filter.
    receiver.reply = () => ({ status: 200, body: 'ok' });
    await page.goto(`${base}/console/deliveries?status=dead`);
    await page.waitForSelector('[data-live-state].on');
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    await page.locator(`#delivery-${deadId}`).getByRole('button', { name: 'Retry' }).click();
    // What the retry answered stays readable at the top of the page while the row changes.
    await expect(page.locator('[data-inline-notice]').textContent()).resolves.toContain('Retry queued');
    await page.locator(`#delivery-${deadId}[data-status="delivered"]`).waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

    // The webhook's page: status, charts, actions; the secret is rotated and shown once.
    await page.goto(`${base}/console/webhooks`);
    await capture(page, 'partner-webhooks');
    await page.goto(`${base}/console/webhooks/${historyWebhookId}`);
    await chartsDrawn(page);
    await capture(page, 'partner-webhook-history');
    await page.goto(`${base}/console/webhooks`);
    await page.getByRole('link', { name: 'Dispatch board (production)' }).click();
    await chartsDrawn(page);
    await capture(page, 'partner-webhook');
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const secret = (await page.locator('[data-secret]').textContent())!.trim();
    await capture(page, 'partner-secret-rotated');
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(partner.secret);
    await page.goto(`${base}/console/webhooks/${partner.webhookId}`);
    expect(await page.content()).not.toContain(secret);
    // What is delivered from now on verifies with the new secret.
    const seen = receiver.received.length;
    await toggleGateway();
    await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBeGreaterThan(seen);
    const last = receiver.received[receiver.received.length - 1];
    expect(() => new Webhook(secret).verify(last.body, last.headers as Record<string, string>)).not.toThrow();

    // Test send shows the payload as rendered.
    await page.getByRole('button', { name: 'Send test' }).click();
    await expect(page.locator('[data-test-payload]').textContent()).resolves.toContain('CONNECTIVITY_STATUS');
    await capture(page, 'partner-test-sent');
    // The answer's address is the webhook's page, not the POST-only action: a reload sends nothing.
    await page.waitForURL(`${base}/console/webhooks/${partner.webhookId}`);
    const sentBeforeReload = receiver.received.length;
    await page.reload();
    await page.getByRole('button', { name: 'Send test' }).waitFor();
    expect(await page.locator('[data-test-payload]').count()).toBe(0);
    expect(receiver.received.length).toBe(sentBeforeReload);

    // Upgrade after seeing one event in both majors side by side (when an older major is still supported).
    const pinned = (await hh.rt.store.get<{ api_version: number }>('SELECT api_version FROM webhooks WHERE id = ?', [partner.webhookId]))!;
    if (pinned.api_version < latestMajor) {
      await page.getByRole('link', { name: `Upgrade to v${latestMajor}…` }).click();
      await expect.poll(() => page.locator('pre.code').count()).toBe(2);
      await capture(page, 'partner-upgrade');
      // Its two versions scroll sideways on a small phone: each can take the keyboard's focus.
      await page.setViewportSize({ width: 360, height: 780 });
      await capture(page, 'phone-upgrade');
      expect(await widerThanViewport(page)).toEqual([]);
      await page.setViewportSize({ width: 1280, height: 860 });
      await page.getByRole('button', { name: `Upgrade to v${latestMajor}` }).click();
      await expect(page.locator('.notice').textContent()).resolves.toContain(`API version ${latestMajor}`);
      await expect.poll(async () => (await hh.rt.store.get<{ api_version: number }>('SELECT api_version FROM webhooks WHERE id = ?', [partner.webhookId]))!.api_version).toBe(latestMajor);
    }

    await visit(page, 'partner-contracts', '/console/contracts');
    await visit(page, 'partner-catalog', '/console/catalog');

    // The operator: fleet counters and the failing webhook move as the endpoint fails again.
    const operatorContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const op = await newPage(operatorContext);
    await signIn(op, ADMIN_TOKEN);
    await op.waitForSelector('[data-live-state].on');
    await expect(op.locator('[data-live-state][role="status"]').textContent()).resolves.toBe('Live');
    await chartsDrawn(op);
    // The counters' last hour: the scheduler's once-a-minute sample (taken at start) and the live
    // counters for the current minute, drawn beside the rates (deliveries by outcome, dead too).
    for (const chart of ['gateways', 'queue', 'endpoints', 'deadLetters']) await op.locator(`[data-chart="${chart}"] .uplot`).waitFor();
    await expect(op.locator('[data-chart="outcomes"] .u-legend').textContent()).resolves.toContain('dead');
    await expect(op.locator('[data-chart="gateways"] .u-legend').textContent()).resolves.toContain('offline');
    // Besides the seeded hour, the scheduler's own sample (taken within a second of start).
    const samples = async () => Number((await hh.rt.store.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM fleet_samples'))?.n);
    await expect.poll(samples, { timeout: 20_000 }).toBeGreaterThan(seededSamples);
    const failing = op.locator('[data-counter="failingEndpoints"]');
    const deadLetters = op.locator('[data-counter="deadTotal"]');
    await expect(failing.textContent()).resolves.toBe('0');
    const deadBefore = Number(await deadLetters.textContent());
    await op.goto(`${base}/console/operator/webhooks`);
    expect(await op.locator('[data-trouble="failing"] tr[data-webhook]').count()).toBe(0);
    await op.goto(`${base}/console/operator`);
    await op.waitForSelector('[data-live-state].on');
    receiver.reply = () => ({ status: 500, body: 'down' });
    await toggleGateway();
    await expect.poll(() => failing.textContent(), { timeout: 20_000 }).toBe('1');
    await expect.poll(async () => Number(await deadLetters.textContent()), { timeout: 20_000 }).toBe(deadBefore + 1);
    // Charts are read every 15 s: reloaded, their current minute tells the same as the counters.
    await op.reload();
    await chartsDrawn(op);
    await capture(op, 'operator-fleet');
    await op.goto(`${base}/console/operator/webhooks`);
    await expect(op.locator(`[data-trouble="failing"] tr[data-webhook="${partner.webhookId}"]`).count()).resolves.toBe(1);
    await capture(op, 'operator-webhooks');
    await op.goto(`${base}/console/operator/companies`);
    await capture(op, 'operator-companies');

    // The operator's session holding every live view it may (10, held here: a browser opens 6
    // connections per host at most): the next page says why it is not live. (That page is left
    // unwatched: the refused stream's 429 is a console error by design.)
    const cookie = (await operatorContext.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const held = new AbortController();
    // One at a time; a place still taken by a fleet page left a moment ago frees once the server sees it closed.
    for (let i = 0; i < 10; i++) {
      await until(async () => {
        const res = await fetch(`${base}/console/operator/live`, { headers: { cookie }, signal: held.signal });
        if (res.status !== 200) {
          await res.text();
          return false;
        }
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        let text = '';
        while (!text.includes('event: counters')) text += new TextDecoder().decode((await reader.read()).value);
        return true;
      }, 'a live view of the operator session', 20_000);
    }
    const refused = await operatorContext.newPage();
    await refused.goto(`${base}/console/operator`);
    await expect(refused.locator('[data-live-refused]').textContent({ timeout: 20_000 })).resolves.toContain('live views open');
    held.abort();
    await refused.close();

    // Tabs left open in the background give their stream's connection back (a browser opens six
    // per host): with six live fleet tabs hidden, a seventh page of the console still loads and
    // goes live, and a hidden tab is live again once shown.
    const setHidden = (tab: Page, hidden: boolean) =>
      tab.evaluate((hidden) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    const tabs: Page[] = [];
    for (let i = 0; i < 6; i++) {
      const tab = await newPage(operatorContext);
      await tab.goto(`${base}/console/operator`);
      await tab.waitForSelector('[data-live-state].on', { timeout: 20_000 });
      await setHidden(tab, true);
      await tab.waitForSelector('[data-live-state]:not(.on)');
      tabs.push(tab);
    }
    const seventh = await newPage(operatorContext);
    await seventh.goto(`${base}/console/operator`, { timeout: 10_000 });
    await seventh.waitForSelector('[data-live-state].on', { timeout: 20_000 });
    await seventh.close();
    await setHidden(tabs[0], false);
    await tabs[0].waitForSelector('[data-live-state].on', { timeout: 20_000 });
    for (const tab of tabs) await tab.close();

    // On a phone.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const mobile = await newPage(phone);
    await signIn(mobile, apiKey);
    await capture(mobile, 'phone-webhooks');
    expect(await widerThanViewport(mobile)).toEqual([]);
    await mobile.goto(`${base}/console/deliveries`);
    await capture(mobile, 'phone-deliveries');
    expect(await widerThanViewport(mobile)).toEqual([]);
    // The log's rows stack on a phone: a failed or dead row's Retry is on screen, no sideways scroll.
    const retryOnPhone = (await mobile.getByRole('button', { name: 'Retry' }).first().boundingBox())!;
    expect(retryOnPhone.x).toBeGreaterThanOrEqual(0);
    expect(retryOnPhone.x + retryOnPhone.width).toBeLessThanOrEqual(390);
    // A small phone from here: the body as sent and the contracts' tags scroll sideways in their
    // boxes, which take the keyboard's focus (axe: scrollable-region-focusable).
    await mobile.setViewportSize({ width: 360, height: 780 });
    await visit(mobile, 'phone-delivery', `/console/deliveries/${firstId}`);
    await visit(mobile, 'phone-contracts', '/console/contracts');
    await visit(mobile, 'phone-catalog', '/console/catalog');

    // Signing out ends the session: the next page is the sign-in form.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in$/);
    await capture(page, 'sign-in');
    await page.goto(`${base}/console/webhooks`);
    await page.waitForURL(/\/console\/sign-in$/);

    for (const context of [partnerContext, operatorContext, phone]) await context.close();
    expect(errors).toEqual([]);
  }, 600_000);

  it('keeps a log left open to its newest 200 rows, and Older pages on from the last one kept', async () => {
    receiver.reply = () => ({ status: 200, body: 'ok' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await newPage(context);
    await signIn(page, apiKey);
    await page.goto(`${base}/console/deliveries?webhookId=${partner.webhookId}`);
    await page.waitForSelector('[data-live-state].on');
    const rows = page.locator('tbody tr[id^="delivery-"]');
    const ids = await deliveryIds(hh.rt.store);
    /** The webhook's deliveries, newest first, as the console names them. */
    const newest = async () =>
      (await hh.rt.store.all<{ id: number }>('SELECT id FROM deliveries WHERE webhook_id = ? ORDER BY id DESC', [partner.webhookId])).map((d) => `delivery-${ids.encode(d.id)}`);
    // In batches of 40: a tick sends the filter's newest 50, so each batch arrives whole.
    for (let batch = 0; batch < 6; batch++) {
      await hh.rt.store.transaction((tx) =>
        fanOut(
          tx,
          hh.rt.clock.now(),
          Array.from({ length: 40 }, () => ({ type: 'CONNECTIVITY_STATUS' as const, gatewayId: partner.gatewayId, data: { connectivityStatus: 'OFFLINE' } })),
        ),
      );
      const expected = (await newest()).slice(0, 200);
      await expect.poll(() => rows.first().getAttribute('id'), { timeout: 20_000 }).toBe(expected[0]);
      await expect.poll(() => rows.count()).toBe(expected.length);
    }
    const all = await newest();
    expect(all.length).toBeGreaterThan(240);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.id))).toEqual(all.slice(0, 200));
    // Older continues after the 200th row kept, keeping the filter; nothing falls between.
    await page.getByRole('link', { name: 'Older →' }).click();
    await page.waitForURL((url) => url.searchParams.get('after') === all[199].replace('delivery-', ''));
    expect(new URL(page.url()).searchParams.get('webhookId')).toBe(partner.webhookId);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.id))).toEqual(all.slice(200, 250));
    await context.close();
    expect(errors).toEqual([]);
  }, 120_000);

  it("keeps the log's columns readable at 1280 px with a long webhook description (a time on one line)", async () => {
    const named = (description: string) => hh.rt.store.run('UPDATE webhooks SET description = ? WHERE id = ?', [description, historyWebhookId]);
    await named('Regional dispatch board for the northern service area, production, second data centre');
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const page = await newPage(context);
      await signIn(page, apiKey);
      await page.goto(`${base}/console/deliveries`);
      await page.waitForSelector('[data-live-state].on');
      // The table is wider than its box then (it scrolls inside it): the Created column, squeezed, keeps its time whole.
      expect(await layoutFaults(page)).toEqual([]);
    } finally {
      await context.close();
      await named('Analytics sink');
    }
    expect(errors).toEqual([]);
  }, 120_000);

  it('says when a live view lost its connection, in words a screen reader announces, and when it is live again', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    // Not watched for errors: the browser logs its refused reconnection attempts.
    const page = await context.newPage();
    await signIn(page, apiKey);
    await page.goto(`${base}/console/deliveries`);
    const state = page.locator('[data-live-state][role="status"]');
    await expect.poll(() => state.textContent(), { timeout: 20_000 }).toBe('Live');
    // The server drops every connection (as when it restarts), and refuses the stream until let.
    const live = '**/console/deliveries/live**';
    await page.route(live, (route) => route.abort('connectionrefused'));
    hh.app!.server.closeAllConnections();
    await expect.poll(() => state.textContent(), { timeout: 20_000 }).toBe('Reconnecting…');
    expect(await state.isVisible()).toBe(true);
    await page.unroute(live);
    await expect.poll(() => state.textContent(), { timeout: 20_000 }).toBe('Live');
    await context.close();
  }, 120_000);

  it('puts a row that starts matching a filtered live log where the log\'s order (newest first) puts it, not on top', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await newPage(context);
    await signIn(page, apiKey);
    await page.goto(`${base}/console/deliveries?webhookId=${partner.webhookId}&status=dead`);
    await page.waitForSelector('[data-live-state].on');
    const ids = await deliveryIds(hh.rt.store);
    const [newer, older] = await hh.rt.store.all<{ id: number }>(
      "SELECT id FROM deliveries WHERE webhook_id = ? AND status = 'delivered' ORDER BY id DESC LIMIT 2",
      [partner.webhookId],
    );
    const die = (id: number) => hh.rt.store.run("UPDATE deliveries SET status = 'dead', updated_at = ? WHERE id = ?", [hh.rt.clock.now(), id]);
    const shown = () => page.locator('tbody tr[id^="delivery-"]').evaluateAll((trs) => trs.map((tr) => tr.id));
    const dead = async () =>
      (await hh.rt.store.all<{ id: number }>("SELECT id FROM deliveries WHERE webhook_id = ? AND status = 'dead' ORDER BY id DESC", [partner.webhookId]))
        .slice(0, 50)
        .map((d) => `delivery-${ids.encode(d.id)}`);
    // The newer one dies first, then the older one: the older goes below it.
    await die(newer.id);
    await expect.poll(shown, { timeout: 20_000 }).toContain(`delivery-${ids.encode(newer.id)}`);
    await die(older.id);
    await expect.poll(shown, { timeout: 20_000 }).toContain(`delivery-${ids.encode(older.id)}`);
    expect(await shown()).toEqual(await dead());
    await context.close();
    expect(errors).toEqual([]);
  }, 120_000);
});
