/**
 * Per-endpoint (webhook) isolation in one dispatcher: an in-flight limit, and a circuit breaker
 * that opens after repeated failures, lets one probe through when the wait is over, and closes
 * on its success. Waiting on an open circuit uses up no attempts: those deliveries are never
 * claimed, or are given back untried.
 */
export interface EndpointHealthOptions {
  /** Requests in flight to one endpoint at most. */
  maxInFlight: number;
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** First wait while open; doubles on each failed probe up to `maxOpenMs`. */
  openMs: number;
  maxOpenMs: number;
}

interface EndpointState {
  inFlight: number;
  failures: number;
  /** When set, the circuit is open until then; after it, one probe may go (half-open). */
  openUntil: number | null;
  openMs: number;
  probing: boolean;
  /** When a request to it last ended (or when it was first seen). */
  lastSettledAt: number;
}

export type Admission = 'go' | 'busy' | { openUntil: number };

export class EndpointHealth {
  private readonly states = new Map<string, EndpointState>();

  constructor(private readonly options: EndpointHealthOptions) {}

  /** May a delivery to `webhookId` start now? Counts it in flight when it may. */
  admit(webhookId: string, now: number): Admission {
    const s = this.state(webhookId, now);
    if (s.openUntil !== null) {
      if (now < s.openUntil) return { openUntil: s.openUntil };
      if (s.probing) return { openUntil: now + 1000 }; // ask again once the probe had time
      s.probing = true; // half-open: this one request decides
    } else if (s.inFlight >= this.options.maxInFlight) {
      return 'busy';
    }
    s.inFlight++;
    return 'go';
  }

  /**
   * Records how a request ended. Returns the time the circuit stays open until when this
   * failure opened it (so queued deliveries can be moved out of the way), else null.
   */
  settle(webhookId: string, ok: boolean, now: number): number | null {
    const s = this.state(webhookId, now);
    s.inFlight--;
    s.lastSettledAt = now;
    const wasProbe = s.probing;
    s.probing = false;
    if (ok) {
      s.failures = 0;
      s.openUntil = null;
      s.openMs = this.options.openMs;
      return null;
    }
    s.failures++;
    if (wasProbe) {
      s.openMs = Math.min(s.openMs * 2, this.options.maxOpenMs);
      s.openUntil = now + s.openMs;
      return s.openUntil;
    }
    if (s.openUntil === null && s.failures >= this.options.failureThreshold) {
      s.openUntil = now + s.openMs;
      return s.openUntil;
    }
    return null;
  }

  /**
   * Gives back a slot `admit` counted for a request that was never made (its body could not be
   * built): no verdict on the endpoint; a probe that was not sent lets the next one go.
   */
  cancel(webhookId: string, now: number): void {
    const s = this.state(webhookId, now);
    s.inFlight = Math.max(0, s.inFlight - 1);
    s.probing = false;
  }

  /** Requests counted in flight over all endpoints (0 when every slot was released). */
  slotsInUse(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.inFlight;
    return n;
  }

  /** Endpoints that should not be claimed for now: open circuits and full in-flight limits. */
  blocked(now: number): string[] {
    const ids: string[] = [];
    for (const [id, s] of this.states) {
      if ((s.openUntil !== null && (now < s.openUntil || s.probing)) || s.inFlight >= this.options.maxInFlight) ids.push(id);
      else if (s.inFlight === 0 && s.failures === 0 && s.openUntil === null) this.states.delete(id); // healthy and idle: forget
    }
    return ids;
  }

  /** Endpoints whose circuit is open now (not yet half-open), with when it may close. */
  openCircuits(now: number): Array<[webhookId: string, openUntil: number]> {
    const open: Array<[string, number]> = [];
    for (const [id, s] of this.states) if (s.openUntil !== null && now < s.openUntil) open.push([id, s.openUntil]);
    return open;
  }

  /**
   * Endpoints at their in-flight limit none of whose requests has ended for `quietMs`: hanging,
   * though their circuit is still closed (a request that never answers fails only at the
   * delivery timeout). A fast endpoint at its limit finishes requests every few milliseconds
   * and is never in this list.
   */
  stalled(now: number, quietMs: number): string[] {
    const ids: string[] = [];
    for (const [id, s] of this.states) {
      if (s.openUntil === null && s.inFlight >= this.options.maxInFlight && now - s.lastSettledAt >= quietMs) ids.push(id);
    }
    return ids;
  }

  /** The circuit of an endpoint, for logs and the API. */
  circuit(webhookId: string, now: number): 'closed' | 'open' | 'half-open' {
    const s = this.states.get(webhookId);
    if (!s || s.openUntil === null) return 'closed';
    return now < s.openUntil ? 'open' : 'half-open';
  }

  private state(webhookId: string, now: number): EndpointState {
    let s = this.states.get(webhookId);
    if (!s) {
      s = { inFlight: 0, failures: 0, openUntil: null, openMs: this.options.openMs, probing: false, lastSettledAt: now };
      this.states.set(webhookId, s);
    }
    return s;
  }
}
