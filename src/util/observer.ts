/**
 * How a delivery attempt ended: `delivered` (2xx), `failed` (will be retried), `dead` (no attempt
 * left, the endpoint answered 410, or the event or webhook is gone).
 */
export type DeliveryOutcome = 'delivered' | 'failed' | 'dead';

/** The delivery and the attempt's result as the dispatcher holds them: nothing is built to report them. */
export interface AttemptedDelivery {
  readonly id: number | string;
  readonly webhook_id: string;
  readonly attempts: number;
}
export interface AttemptResult {
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly error?: string | null;
}

/**
 * What a subscriber hears. Every method is optional; each is called synchronously on the path
 * that reports it (ingest, delivery, every transaction), so it must be cheap and must not throw.
 */
export interface ObserverListener {
  /** An attempt finished and its outcome is being recorded. */
  deliveryFinished(delivery: AttemptedDelivery, result: AttemptResult, outcome: DeliveryOutcome): void;
  /** An ingest batch committed, by channel (`http`, `mqtt`): messages taken in, resent ones ignored. */
  ingested(channel: string, accepted: number, duplicates: number): void;
  /**
   * Events committed: the rules' from ingest and from the scheduler's passes (faults confirmed,
   * daily aggregates, …), and contracts' CONTRACT_STATUS.
   */
  eventsMade(events: readonly { readonly type: string }[]): void;
  /**
   * Messages refused before ingest, per channel (`http`: a refused batch counts all its messages;
   * `mqtt`: one per publish) and reason (`RejectReason`: `unknown-kind`, `unknown-gateway`, …).
   */
  ingestRejected(channel: string, reason: string, messages: number): void;
  /** A store transaction took this long, BEGIN to COMMIT or ROLLBACK. */
  transaction(ms: number): void;
}

/** A running part that can say whether it still runs, and what it holds (read when asked). */
export interface RoleProbe {
  /** False once the part has stopped or its loop died. */
  running(): boolean;
  /** Deliveries claimed and not yet recorded (the dispatcher). */
  inFlight?(): number;
  /** Endpoints whose circuit is open now (the dispatcher). */
  openCircuits?(): number;
}

/**
 * The seam through which the flow (ingest, fan-out, dispatcher, store) tells the faces beside it
 * (`src/metrics`, logs) what happened, without importing them: parts below call its methods with
 * plain data they already hold; parts above `subscribe`. With no subscriber a call is one empty
 * loop, so the hot paths report unconditionally.
 *
 * @example
 * const off = rt.observer.subscribe({ transaction: (ms) => histogram.observe(ms / 1000) });
 * rt.observer.transaction(1.2); // → histogram.observe(0.0012)
 * off();
 */
export class Observer {
  /** The roles running in this process (`api`, `worker`, `scheduler`), for readiness and metrics. */
  readonly roles = new Map<string, RoleProbe>();
  private deliveryListeners: ObserverListener['deliveryFinished'][] = [];
  private ingestListeners: ObserverListener['ingested'][] = [];
  private eventListeners: ObserverListener['eventsMade'][] = [];
  private rejectListeners: ObserverListener['ingestRejected'][] = [];
  private transactionListeners: ObserverListener['transaction'][] = [];

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: Partial<ObserverListener>): () => void {
    const lists: [unknown[], unknown][] = [
      [this.deliveryListeners, listener.deliveryFinished?.bind(listener)],
      [this.ingestListeners, listener.ingested?.bind(listener)],
      [this.eventListeners, listener.eventsMade?.bind(listener)],
      [this.rejectListeners, listener.ingestRejected?.bind(listener)],
      [this.transactionListeners, listener.transaction?.bind(listener)],
    ];
    for (const [list, fn] of lists) if (fn) list.push(fn);
    return () => {
      for (const [list, fn] of lists) if (fn) list.splice(list.indexOf(fn), 1);
    };
  }

  deliveryFinished(delivery: AttemptedDelivery, result: AttemptResult, outcome: DeliveryOutcome): void {
    const list = this.deliveryListeners;
    for (let i = 0; i < list.length; i++) list[i](delivery, result, outcome);
  }

  ingested(channel: string, accepted: number, duplicates: number): void {
    const list = this.ingestListeners;
    for (let i = 0; i < list.length; i++) list[i](channel, accepted, duplicates);
  }

  eventsMade(events: readonly { readonly type: string }[]): void {
    if (events.length === 0) return;
    const list = this.eventListeners;
    for (let i = 0; i < list.length; i++) list[i](events);
  }

  ingestRejected(channel: string, reason: string, messages: number): void {
    const list = this.rejectListeners;
    for (let i = 0; i < list.length; i++) list[i](channel, reason, messages);
  }

  transaction(ms: number): void {
    const list = this.transactionListeners;
    for (let i = 0; i < list.length; i++) list[i](ms);
  }
}
