import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/ruleSet.js';
import { jobList } from '../../src/scheduler/jobList.js';

describe('the rule jobs in the scheduler', () => {
  it('checks connectivity every 15 minutes by default, as the reference page says', () => {
    const job = jobList(loadRules()).find((j) => j.name === 'check-connectivity');
    expect(job?.intervalMs).toBe(15 * 60_000);
  });

  it('reports pending faults well within the transient window, and sends daily aggregates every minute', () => {
    const jobs = jobList(loadRules());
    expect(jobs.find((j) => j.name === 'report-pending-faults')?.intervalMs).toBeLessThanOrEqual(30_000);
    expect(jobs.find((j) => j.name === 'emit-daily-aggregates')?.intervalMs).toBe(60_000);
  });
});
