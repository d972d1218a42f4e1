import { describe, expect, it } from 'vitest';
import { EndpointHealth } from '../../src/delivery/endpointHealth.js';

const options = { maxInFlight: 2, failureThreshold: 3, openMs: 1000, maxOpenMs: 4000 };

describe('endpoint isolation', () => {
  it('holds an endpoint to its in-flight limit and blocks it from claims while full', () => {
    const health = new EndpointHealth(options);
    expect(health.admit('a', 0)).toBe('go');
    expect(health.admit('a', 0)).toBe('go');
    expect(health.admit('a', 0)).toBe('busy');
    expect(health.admit('b', 0)).toBe('go');
    expect(health.blocked(0)).toEqual(['a']);
    health.settle('a', true, 1);
    expect(health.admit('a', 1)).toBe('go');
  });

  it('opens the circuit after repeated failures, lets one probe through after the wait, and closes on success', () => {
    const health = new EndpointHealth(options);
    for (let i = 0; i < 2; i++) {
      health.admit('a', 0);
      expect(health.settle('a', false, 0)).toBeNull();
    }
    health.admit('a', 0);
    expect(health.settle('a', false, 0)).toBe(1000); // third failure opens it
    expect(health.circuit('a', 500)).toBe('open');
    expect(health.admit('a', 500)).toEqual({ openUntil: 1000 });
    expect(health.blocked(500)).toEqual(['a']);

    expect(health.admit('a', 1000)).toBe('go'); // the probe
    expect(health.admit('a', 1000)).toEqual({ openUntil: 2000 }); // only one probe at a time
    expect(health.settle('a', true, 1100)).toBeNull();
    expect(health.circuit('a', 1100)).toBe('closed');
    expect(health.admit('a', 1100)).toBe('go');
  });

  it('doubles the wait after a failed probe, up to the maximum', () => {
    const health = new EndpointHealth(options);
    for (let i = 0; i < 3; i++) {
      health.admit('a', 0);
      health.settle('a', false, 0);
    }
    let now = 1000;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect(health.admit('a', now)).toBe('go');
      const until = health.settle('a', false, now)!;
      waits.push(until - now);
      now = until;
    }
    expect(waits).toEqual([2000, 4000, 4000, 4000]);
  });

  it('calls an endpoint stalled when it is at its limit and nothing of it has ended for a while, not when it is merely busy', () => {
    const health = new EndpointHealth(options);
    for (const id of ['hanging', 'busy']) {
      health.admit(id, 0);
      health.admit(id, 0);
    }
    expect(health.stalled(999, 1000)).toEqual([]);
    // 'busy' finishes one request and starts the next: still at its limit, but moving.
    health.settle('busy', true, 900);
    health.admit('busy', 900);
    expect(health.stalled(1000, 1000)).toEqual(['hanging']);
    expect(health.stalled(1900, 1000)).toEqual(['hanging', 'busy']);
    // Below its limit an endpoint is not stalled, however slow.
    health.settle('hanging', false, 1950);
    expect(health.stalled(5000, 1000)).toEqual(['busy']);
  });
});
