import { afterEach, describe, expect, it } from 'vitest';
import { scrape } from '../helpers/prometheus.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

describe('the process metrics in /metrics', () => {
  let hh: TestHearthook;
  afterEach(() => hh?.close());

  it('count CPU from start-up, not from the first scrape', async () => {
    hh = await startTestHearthook();
    const burnUntil = performance.now() + 300;
    while (performance.now() < burnUntil) Math.sqrt(Math.random()); // CPU spent before anyone scrapes
    const first = await scrape(hh.app, admin);
    expect(first.value('process_cpu_user_seconds_total') ?? 0).toBeGreaterThan(0.2);
  });
});
