import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { call, freePort, HearthookProcess } from '../helpers/hearthookProcess.js';
import { Receiver } from '../helpers/receiver.js';
import { admin, ingest } from '../helpers/testRuntime.js';

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One company with ten gateways and a webhook to `receiver`; 300 connectivity events ingested. */
async function setUpAndIngest(server: HearthookProcess, receiver: Receiver): Promise<number> {
  const company = await call<{ id: string }>(server.url, 'POST', '/v1/admin/companies', admin, {
    name: 'Kill Test Heating',
    languages: ['en'],
    autoAccept: true,
  });
  const { apiKey } = await call<{ apiKey: string }>(server.url, 'POST', `/v1/admin/companies/${company.id}/api-keys`, admin);
  const gateways = Array.from({ length: 10 }, (_, i) => String(200000000 + i));
  for (const gatewayId of gateways) {
    await call(server.url, 'POST', '/v1/admin/gateways', admin, { gatewayId, type: 'K40', timezone: 'Europe/Berlin' });
    await call(server.url, 'POST', `/v1/admin/gateways/${gatewayId}/contracts`, admin, {
      companyId: company.id,
      consent: 'ERROR_NOTIFICATIONS',
    });
  }
  await call(server.url, 'POST', '/v1/webhooks', { 'x-api-key': apiKey }, {
    url: receiver.url,
    apiKeyName: 'x-api-key',
    apiKeyLocation: 'HEADER',
    apiKey: 'receiver-key',
    eventTypes: ['CONNECTIVITY_STATUS'],
  });

  // Every message flips its gateway's connection, so each one is an event.
  let accepted = 0;
  for (let round = 0; round < 30; round++) {
    const batch = gateways.map((gatewayId) => ({
      kind: 'connection',
      gatewayId,
      status: round % 2 === 0 ? 'DISCONNECTED' : 'CONNECTED',
      messageId: `r${round}-${gatewayId}`,
    }));
    const res = await call<{ events: number }>(server.url, 'POST', '/v1/ingest', ingest, batch);
    accepted += res.events;
  }
  return accepted;
}

describe('a Hearthook process killed mid-delivery (SQLite)', () => {
  const cleanup = useCleanup();

  it('delivers every accepted event after a restart, duplicating only what was in flight', async () => {
    const dir = cleanup.tempDir('hearthook-kill-');
    const receiver = await new Receiver().start();
    receiver.delayMs = 20; // keeps deliveries in flight when the process dies
    cleanup.push(() => receiver.stop());
    const endpointLimit = 8;
    const env = {
      HEARTHOOK_DATABASE: join(dir, 'hearthook.db'),
      HEARTHOOK_DELIVERY_TIMEOUT: '1s', // leases (4 × timeout) of the killed process expire in 4 s
      HEARTHOOK_RETRY_SCHEDULE: '0s,1s,1s,1s,1s,1s,1s,1s',
      HEARTHOOK_ENDPOINT_MAX_IN_FLIGHT: String(endpointLimit),
    };
    const port = await freePort();
    let server = await new HearthookProcess(port, env).start();
    cleanup.push(() => server.stop().then(() => undefined));

    const accepted = await setUpAndIngest(server, receiver);
    expect(accepted).toBe(300);

    await until(() => receiver.received.length >= 40, 'the first deliveries');
    await server.kill();
    const receivedBeforeKill = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(receivedBeforeKill.size).toBeLessThan(accepted); // it really died mid-run

    server = await new HearthookProcess(port, env).start();
    await until(() => receiver.uniqueIds().unique === accepted, 'every event to arrive after the restart');

    const { unique, duplicates } = receiver.uniqueIds();
    expect(unique).toBe(accepted);
    // At-least-once: only deliveries in flight at the kill can arrive twice, at most the
    // endpoint's in-flight limit, and every repeated id was one received before the kill.
    expect(duplicates).toBeLessThanOrEqual(endpointLimit);
    const seen = new Map<string, number>();
    for (const r of receiver.received) seen.set(String(r.headers['webhook-id']), (seen.get(String(r.headers['webhook-id'])) ?? 0) + 1);
    for (const [id, count] of seen) if (count > 1) expect(receivedBeforeKill.has(id)).toBe(true);
  }, 90_000);
});

describe('a Hearthook process told to stop (SIGTERM)', () => {
  it('finishes what is in flight, gives back the rest, and after a restart delivers all without duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearthook-term-'));
    const receiver = await new Receiver().start();
    receiver.delayMs = 20;
    const env = { HEARTHOOK_DATABASE: join(dir, 'hearthook.db'), HEARTHOOK_ENDPOINT_MAX_IN_FLIGHT: '8' };
    const port = await freePort();
    let server = await new HearthookProcess(port, env).start();
    try {
      const accepted = await setUpAndIngest(server, receiver);
      await until(() => receiver.received.length >= 40, 'the first deliveries');
      expect(await server.stop()).toBe(0);
      expect(receiver.uniqueIds().unique).toBeLessThan(accepted);
      server = await new HearthookProcess(port, env).start();
      await until(() => receiver.uniqueIds().unique === accepted, 'every event after the restart');
      expect(receiver.uniqueIds().duplicates).toBe(0);
    } finally {
      await server.stop();
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
