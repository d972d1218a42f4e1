import type { Runtime } from '../../src/runtime.js';
import { newEventId, newId } from '../../src/util/ids.js';

/**
 * An hour of past DATA_POINT traffic for a second webhook of the company, written straight into
 * the store (events, delivered deliveries, their attempts: some slow, a few answered 5xx), so the
 * charts the browser walk screenshots have a shape. None of it is queued, failing or dead.
 */
export async function seedHistory(rt: Runtime, companyId: string, gatewayId: string): Promise<string> {
  const now = rt.clock.now();
  const webhookId = newId('wh');
  await rt.store.run(
    `INSERT INTO webhooks (id, company_id, url, api_key_name, api_key_location, api_key_enc, secret_enc, event_types,
                           description, enabled, api_version, created_at, updated_at)
     VALUES (?, ?, 'https://analytics.nordwind.example/hearthook', 'x-api-key', 'HEADER', ?, ?, '["DATA_POINT"]', 'Analytics sink', 1, 2, ?, ?)`,
    [webhookId, companyId, rt.encrypter.encrypt('k'), rt.encrypter.encrypt('whsec_AAAA'), now - 3_600_000, now - 3_600_000],
  );
  await rt.store.transaction(async (tx) => {
    let sequence = 0;
    for (let minute = 59; minute >= 1; minute--) {
      // A daily-looking curve: busier towards the end of the hour, one rough patch in the middle.
      const perMinute = 4 + Math.round(3 * Math.sin(minute / 9) + (60 - minute) / 10);
      for (let i = 0; i < perMinute; i++) {
        const at = now - minute * 60_000 + i * Math.floor(60_000 / perMinute);
        const eventId = newEventId(at);
        await tx.run('INSERT INTO events (id, type, gateway_id, data, occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
          eventId,
          'DATA_POINT',
          gatewayId,
          JSON.stringify({ key: 'hvac.emon.compressor.powerCurrent', value: 900 + 40 * i, unit: 'W' }),
          at,
          at,
        ]);
        const failedFirst = minute > 24 && minute < 30 && i % 2 === 0;
        await tx.run(
          `INSERT INTO deliveries (event_id, webhook_id, gateway_id, sequence, status, attempts, api_version, last_status_code, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'delivered', ?, 2, 200, ?, ?)`,
          [eventId, webhookId, gatewayId, ++sequence, failedFirst ? 2 : 1, at, at + 5_000],
        );
        const delivery = await tx.get<{ id: number }>('SELECT id FROM deliveries WHERE event_id = ? AND webhook_id = ?', [eventId, webhookId]);
        const duration = 35 + ((i * 37 + minute * 11) % 90) + (minute % 13 === 0 ? 600 : 0);
        if (failedFirst) {
          await tx.run(
            'INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, duration_ms, response_body, error) VALUES (?, ?, 502, ?, ?, NULL)',
            [delivery!.id, at + 50, duration * 3, 'Bad Gateway'],
          );
        }
        await tx.run(
          'INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, duration_ms, response_body, error) VALUES (?, ?, 200, ?, ?, NULL)',
          [delivery!.id, at + (failedFirst ? 5_000 : 80), duration, 'ok'],
        );
      }
    }
  });
  return webhookId;
}

/**
 * An hour of once-a-minute fleet samples (what the scheduler job sample-fleet writes) telling
 * the same story as `seedHistory`: the gateway online, a few deliveries queued at the busiest
 * minutes, the endpoint failing through the rough patch in the middle of the hour, none dead.
 * Returns how many it wrote.
 */
export async function seedFleetSamples(rt: Runtime): Promise<number> {
  const now = rt.clock.now();
  let written = 0;
  for (let minute = 59; minute >= 1; minute--) {
    const rough = minute > 24 && minute < 30;
    const queued = rough ? 4 + (minute % 3) : Math.max(0, Math.round(2 * Math.sin(minute / 5)));
    written += await rt.store.run(
      `INSERT INTO fleet_samples (sampled_at, gateways_online, gateways_offline, queue_depth, oldest_due_age_ms, failing_endpoints, open_circuits, dead_letters)
       VALUES (?, 1, 0, ?, ?, ?, 0, 0) ON CONFLICT (sampled_at) DO NOTHING`,
      [now - minute * 60_000, queued, rough ? 5_000 + 800 * (minute % 4) : queued * 40, rough ? 1 : 0],
    );
  }
  return written;
}
