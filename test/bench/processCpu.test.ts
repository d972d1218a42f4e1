import { describe, expect, it } from 'vitest';
import { machineBusyMs, processCpuMs, sumCpuMs } from '../../src/bench/processCpu.js';

/** Spends about `ms` of this process's CPU time (process.cpuUsage, not the wall clock). */
function burn(ms: number): void {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 100_000; i++) x += Math.sqrt(i);
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) break;
  }
  expect(x).toBeGreaterThan(0);
}

describe.runIf(process.platform === 'linux')('CPU time from /proc (the capacity model is built on it)', () => {
  it("reads a process's user + system time as Node itself counts it", () => {
    const before = processCpuMs(process.pid);
    const usageBefore = process.cpuUsage();
    burn(200);
    const spent = processCpuMs(process.pid) - before;
    const usage = process.cpuUsage(usageBefore);
    const counted = (usage.user + usage.system) / 1000;
    // /proc counts in clock ticks (10 ms): the two agree within a few ticks.
    expect(Math.abs(spent - counted)).toBeLessThan(50);
    expect(spent).toBeGreaterThan(150);
  });

  it('counts a process that is gone as nothing, and the machine as at least this process', () => {
    expect(Number.isNaN(processCpuMs(2 ** 30))).toBe(true);
    expect(sumCpuMs([2 ** 30])).toBe(0);
    const machine = machineBusyMs();
    burn(100);
    expect(machineBusyMs() - machine).toBeGreaterThanOrEqual(80);
  });
});
