import { parentPort, workerData } from 'node:worker_threads';
import { Dispatcher } from '../delivery/dispatcher.js';
import { createLogger } from './createLogger.js';
import { createRuntime } from './createRuntime.js';
import { relayObserver } from './observerRelay.js';
import { type DeliveryWorkerData, type FromDeliveryWorker, STATUS, type ToDeliveryWorker } from './deliveryThread.js';

/** How often the dispatcher's state is copied into the shared cells (readiness, gauges). */
const STATUS_EVERY_MS = 100;

/**
 * The delivery thread of `hearthook serve` (DeliveryThread starts it): a runtime joined to the
 * main thread's (its own database connection, the main thread's secrets), one Dispatcher, and
 * the relays back. An error thrown here reaches the main thread as the Worker's `error`.
 */
async function main(port: NonNullable<typeof parentPort>, data: DeliveryWorkerData): Promise<void> {
  const log = await createLogger(data.config.logLevel, data.terminal);
  const { rt } = await createRuntime(data.config, { log, joining: data.joining });
  const dispatcher = new Dispatcher(rt);
  const status = new Int32Array(data.status);
  const report = () => {
    Atomics.store(status, STATUS.running, dispatcher.running ? 1 : 0);
    Atomics.store(status, STATUS.inFlight, dispatcher.inFlightCount);
    Atomics.store(status, STATUS.openCircuits, dispatcher.health.openCircuits(rt.clock.now()).length);
  };

  const relay = relayObserver(rt.observer, (observed) =>
    port.postMessage({ observed } satisfies FromDeliveryWorker, [observed.deliveries.buffer as ArrayBuffer, observed.transactions.buffer as ArrayBuffer]),
  );

  port.on('message', (message: ToDeliveryWorker) => {
    if ('wake' in message) rt.store.notifyWork();
    else void stop(message.stop);
  });
  const timer = setInterval(report, STATUS_EVERY_MS);
  const stop = async (graceMs: number) => {
    clearInterval(timer);
    await dispatcher.stop(graceMs);
    await rt.store.close();
    report();
    relay();
    port.close(); // nothing else keeps the thread alive: it exits
  };

  dispatcher.start();
  report();
  port.postMessage({ ready: true } satisfies FromDeliveryWorker);
}

if (parentPort) await main(parentPort, workerData as DeliveryWorkerData);
