
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { call, freePort, HearthookProcess } from '../helpers/hearthookProcess.js';
import { Receiver } from '../helpers/receiver.js';
import { admin, ingest } from '../helpers/testRuntime.js';
import { until } from '../helpers/until.js';

const GATEWAYS_PER_LOOP = 40;
/** Preloaded into serve: crashes its delivery thread when told (see the file). */
const CRASH_FAULT = fileURLToPath(new URL('../helpers/faults/crashDeliveryThread.mjs', import.meta.url));

/** A message the server answered 202 for: its gateway and its sentAt, the event's occurredAt. */
interface Accepted {
  gatewayId: string;
  occurredAt: number;
}

/**
 * `hearthook serve` on a SQLite file writes from two threads: ingest (main thread) and delivery
 * (its own thread and connection, src/server/deliveryThread.ts). A SIGKILL while both write must
 * lose nothing that was acknowledged, and neither may a crash of the delivery thread alone: the
 * process must then exit (never half alive), non-zero and saying why, for its supervisor to
 * restart it.
 */
describe('a Hearthook process killed while ingest and delivery both write (SQLite)', () => {
  const cleanup = useCleanup();

  it('keeps every accepted message as an event with both its deliveries, and delivers them all after a restart', async () => {
    await loseNothingWhen(async (server) => {
      await server.kill();
    });
  }, 240_000);

  it('exits with code 1 when its delivery thread crashes, and loses nothing either', async () => {
    const trigger = join(cleanup.tempDir('hearthook-crash-'), 'crash-now');
    await loseNothingWhen(
      async (server) => {
        writeFileSync(trigger, '');
        expect(await server.exited()).toBe(1);
        expect(server.output).toContain('injected fault: the delivery thread crashes');
        expect(server.output).toContain('the delivery thread failed; exiting');
      },
      { env: { HEARTHOOK_TEST_CRASH_FILE: trigger }, nodeArgs: ['--import', CRASH_FAULT] },
    );
  }, 240_000);

  /** Runs both ingest loops and delivery, ends the process with `end` while both write, restarts it (without the fault) and checks. */
  async function loseNothingWhen(end: (server: HearthookProcess) => Promise<void>, fault: { env: Record<string, string>; nodeArgs: string[] } = { env: {}, nodeArgs: [] }): Promise<void> {
    const dir = cleanup.tempDir('hearthook-kill2-');
    const file = join(dir, 'hearthook.db');
    const receivers = [await new Receiver().start(), await new Receiver().start()];
    for (const receiver of receivers) {
      receiver.delayMs = 5; // deliveries stay in flight, and outcomes keep being written
      cleanup.push(() => receiver.stop());
    }
    const env = {
      HEARTHOOK_DATABASE: file,
      HEARTHOOK_DELIVERY_TIMEOUT: '1s', // the killed process's leases (4 × timeout) expire in 4 s
      HEARTHOOK_RETRY_SCHEDULE: '0s,1s,1s,1s,1s,1s,1s,1s',
    };
    const port = await freePort();
    let server = await new HearthookProcess(port, { ...env, ...fault.env }, [], fault.nodeArgs).start();
    cleanup.push(() => server.stop());

    // One company, two webhooks (one per receiver), two sets of gateways: one per ingest loop, so
    // every message flips its gateway's connection and makes exactly one event.
    const company = await call<{ id: string }>(server.url, 'POST', '/v1/admin/companies', admin, { name: 'Two Threads Heating', languages: ['en'], autoAccept: true });
    const { apiKey } = await call<{ apiKey: string }>(server.url, 'POST', `/v1/admin/companies/${company.id}/api-keys`, admin);
    const loops = [0, 1].map((loop) => Array.from({ length: GATEWAYS_PER_LOOP }, (_, i) => String(300000000 + loop * 1000 + i)));
    for (const gatewayId of loops.flat()) {
      await call(server.url, 'POST', '/v1/admin/gateways', admin, { gatewayId, type: 'K40', timezone: 'Europe/Berlin' });
      await call(server.url, 'POST', `/v1/admin/gateways/${gatewayId}/contracts`, admin, { companyId: company.id, consent: 'ERROR_NOTIFICATIONS' });
    }
    for (const receiver of receivers) {
      await call(server.url, 'POST', '/v1/webhooks', { 'x-api-key': apiKey }, {
        url: receiver.url,
        apiKeyName: 'x-api-key',
        apiKeyLocation: 'HEADER',
        apiKey: 'receiver-key',
        eventTypes: ['CONNECTIVITY_STATUS'],
      });
    }

    // Two loops of ingest batches, each sent when the previous one was answered, until the kill.
    const accepted: Accepted[] = [];
    let sentAt = Date.UTC(2026, 0, 1);
    let killed = false;
    const delivered = () => receivers.reduce((n, r) => n + r.received.length, 0);
    const ingestLoop = async (gateways: string[]) => {
      for (let round = 0; !killed; round++) {
        // At most ~1,000 events ahead of delivery, so a loaded machine still drains them soon.
        while (!killed && accepted.length - delivered() / 2 > 1000) await new Promise((resolve) => setTimeout(resolve, 20));
        if (killed) return;
        const batch = gateways.map((gatewayId) => ({
          kind: 'connection',
          gatewayId,
          status: round % 2 === 0 ? 'DISCONNECTED' : 'CONNECTED',
          messageId: `r${round}-${gatewayId}`,
          sentAt: new Date(++sentAt).toISOString(),
        }));
        try {
          await call(server.url, 'POST', '/v1/ingest', ingest, batch);
        } catch (err) {
          if (killed) return; // unanswered: not accepted, whether or not it was committed
          throw err;
        }
        for (const message of batch) accepted.push({ gatewayId: message.gatewayId, occurredAt: Date.parse(message.sentAt) });
      }
    };
    const ingesting = Promise.all(loops.map(ingestLoop));

    // Both threads are writing: batches keep arriving, and deliveries are being recorded.
    await until(() => delivered() >= 400 && accepted.length >= 10 * GATEWAYS_PER_LOOP, 'ingest and delivery both under way');
    killed = true;
    await end(server);
    await ingesting;
    const deliveredBeforeKill = delivered();
    expect(deliveredBeforeKill).toBeLessThan(2 * accepted.length); // it died with deliveries to make

    server = await new HearthookProcess(port, env).start();
    const db = new Database(file, { readonly: true });
    cleanup.push(() => db.close());
    const unfinished = db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status <> 'delivered'");
    const statuses = db.prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status');
    await until(() => (unfinished.get() as { n: number }).n === 0, 'every delivery to be delivered after the restart', 120_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(statuses.all())}, ${accepted.length} messages accepted\n${server.output.slice(-3000)}`);
    });

    // Every accepted message is one event, with one delivered delivery per webhook.
    const eventOf = db.prepare(
      `SELECT e.id, (SELECT COUNT(*) FROM deliveries d WHERE d.event_id = e.id AND d.status = 'delivered') AS delivered
         FROM events e WHERE e.gateway_id = ? AND e.occurred_at = ?`,
    );
    const missing = accepted.filter((m) => {
      const rows = eventOf.all(m.gatewayId, m.occurredAt) as { delivered: number }[];
      return rows.length !== 1 || rows[0].delivered !== 2;
    });
    expect(missing).toEqual([]);
    // And the receivers saw each of those events.
    const eventIds = new Set(
      accepted.map((m) => (eventOf.get(m.gatewayId, m.occurredAt) as { id: string }).id),
    );
    for (const receiver of receivers) {
      const seen = new Set(receiver.received.map((r) => String(r.headers['webhook-id'])));
      expect([...eventIds].filter((id) => !seen.has(id))).toEqual([]);
    }
  }
});
