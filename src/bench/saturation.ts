import { type GatewayTraffic, type IngestClient, IngestLoad } from './loadGenerator.js';
import { formatNumber, type Progress } from './progress.js';
import type { LatencySummary } from './receiverProcess.js';
import type { Receiver } from './receiver.js';
import { windowRates } from './scenario.js';
import { sleep } from './stats.js';

export interface SaturationSettings {
  /** Deliveries per event at this receiver. */
  fanout: number;
  /** Messages per ingest request. */
  batch: number;
  /** Events sent but not yet delivered at most. */
  outstanding: number;
  warmMs: number;
  windows: number;
  windowMs: number;
  /** Ingest requests in flight. */
  concurrency?: number;
}

export interface SaturationResult {
  /** Deliveries/s at `receiver` per window. */
  rates: number[];
  /** Ingest → receiver latency over the windows. */
  latency: LatencySummary;
  sent: number;
}

/**
 * Drives ingest as fast as the pipeline delivers (a closed loop holding at most `outstanding`
 * events undelivered) and measures deliveries/s at `receiver` over consecutive windows.
 */
export async function measureSaturation(
  client: IngestClient,
  traffic: GatewayTraffic,
  receiver: Receiver,
  settings: SaturationSettings,
  progress: Progress,
  label = 'saturation',
): Promise<SaturationResult> {
  const base = receiver.latest.total;
  const load = new IngestLoad(client, traffic, settings.batch).startClosedLoop(
    settings.concurrency ?? 2,
    () => (receiver.latest.total - base) / settings.fanout,
    settings.outstanding,
  );
  try {
    await sleep(settings.warmMs);
    const since = Date.now();
    const rates = await windowRates(
      settings.windows,
      settings.windowMs,
      async () => {
        const c = await receiver.counts();
        return { count: c.total, at: c.at };
      },
      (rate, i) => progress.update(`${label} window ${i + 1}/${settings.windows}: ${formatNumber(rate)} deliveries/s`),
    );
    const latency = await receiver.latency(since);
    return { rates, latency, sent: load.sent };
  } finally {
    await load.stop();
  }
}
