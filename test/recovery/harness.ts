/**
 * A Hearthook with a real local endpoint and a dispatcher driven by hand, for the recovery
 * tests: rows are seeded straight into the store, the partner API is called in-process.
 */
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import type { Config } from '../../src/config/config.js';
import { fanOut } from '../../src/fanout/fanOut.js';
import { createApiKey, partnerHeaders } from '../api/fixtures.js';
import { Receiver } from '../helpers/receiver.js';
import { seedPartner } from '../helpers/seed.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

export interface DeliveryRow {
  id: number;
  event_id: string;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  created_at: number;
}

export interface Harness {
  hh: TestHearthook;
  receiver: Receiver;
  dispatcher: Dispatcher;
  /** One dispatcher pass: claims what is due and waits until every outcome is recorded. */
  deliverDue(): Promise<void>;
  /** A seeded company with a webhook on the receiver, and `x-api-key` headers for it. */
  partner(opts?: Partial<Parameters<typeof seedPartner>[1]>): Promise<Awaited<ReturnType<typeof seedPartner>> & { headers: Record<string, string> }>;
  /** Writes one CONNECTIVITY_STATUS event for the gateway (a delivery per subscribed webhook). */
  /** `count` CONNECTIVITY_STATUS events of the gateway (1 unless given), in one transaction at the clock's time. */
  emit(gatewayId: string, count?: number): Promise<void>;
  deliveries(webhookId: string): Promise<DeliveryRow[]>;
  close(): Promise<void>;
}

export async function startHarness(overrides: Partial<Config> = {}): Promise<Harness> {
  const hh = await startTestHearthook({ retrySchedule: [0, 5000, 60_000], ...overrides });
  const receiver = await new Receiver().start();
  const dispatcher = new Dispatcher(hh.rt);
  return {
    hh,
    receiver,
    dispatcher,
    async deliverDue() {
      await dispatcher.tick();
      await dispatcher.idle();
    },
    async partner(opts) {
      const seeded = await seedPartner(hh.rt, { url: receiver.url, ...opts });
      return { ...seeded, headers: partnerHeaders(await createApiKey(hh.app, seeded.companyId)) };
    },
    async emit(gatewayId, count = 1) {
      await hh.rt.store.transaction((tx) =>
        fanOut(
          tx,
          hh.rt.clock.now(),
          Array.from({ length: count }, () => ({ type: 'CONNECTIVITY_STATUS' as const, gatewayId, data: { connectivityStatus: 'OFFLINE' } })),
        ),
      );
    },
    deliveries(webhookId) {
      return hh.rt.store.all<DeliveryRow>(
        'SELECT id, event_id, status, attempts, next_attempt_at, created_at FROM deliveries WHERE webhook_id = ? ORDER BY id',
        [webhookId],
      );
    },
    async close() {
      await dispatcher.stop(0);
      await receiver.stop();
      await hh.close();
    },
  };
}
