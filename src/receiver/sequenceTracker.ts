/**
 * Per (webhook, gateway), Hearthook numbers deliveries 1, 2, 3, … without gaps. A receiver sees
 * them out of order now and then (a retry overtakes nothing, but two in flight can swap), twice
 * after a crash on either side, and with a gap when a webhook was disabled for a while. The
 * tracker turns that into each event handed to `apply` once, in sequence order.
 */
import type { SequenceState, SequenceStateStore } from './sequenceState.js';
import { MemorySequenceStore } from './sequenceState.js';

/** What the tracker needs of an event: its id and, for a webhook delivery, its sequence. */
export interface Sequenced {
  id: string;
  gatewayId: string;
  /** Undefined or 0 (test events, catch-up events): applied at once, outside any order. */
  sequence?: number | undefined;
}

/** How an event that arrived was taken. */
export type Arrival = 'in-order' | 'held' | 'duplicate' | 'late' | 'unsequenced';

/** A range of sequences that was missing when the time limit passed. */
export interface Gap {
  webhookId: string;
  gatewayId: string;
  /** The id of the last event applied before the gap (null: none yet). */
  afterId: string | null;
  /** The id of the first event after it. */
  beforeId: string;
  from: number;
  to: number;
}

export interface SequenceTrackerOptions<T> {
  /** Where the state lives (default: memory). `SqliteSequenceStore` keeps it across restarts. */
  store?: SequenceStateStore<T>;
  /** How long an event waits for the gap before it (default 30 s). */
  holdForMs?: number;
  /** Fetches a gap's events, in order, e.g. `catchUpGapFiller` (the catch-up API). Fewer than asked: the rest is a gap. */
  fillGap?: (gap: Gap) => Promise<T[]>;
  /** Told about every gap that could not be filled. */
  onGap?: (gap: Gap) => void;
  now?: () => number;
}

type Apply<T> = (event: T) => unknown;

const KEEP_SKIPPED = 100;

/**
 * @example
 * const tracker = new SequenceTracker<HearthookEvent>({ store: new SqliteSequenceStore(db), fillGap: catchUpGapFiller({ baseUrl, apiKey }) });
 * // in the webhook handler, after verify() and parseEvent():
 * await tracker.receive(webhookId, event, (e) => applyToState(e)); // then answer 2xx
 * // every few seconds:
 * await tracker.releaseExpired((e) => applyToState(e));
 */
export class SequenceTracker<T extends Sequenced> {
  private readonly store: SequenceStateStore<T>;
  private readonly holdForMs: number;
  private readonly now: () => number;
  /** Per key, the tail of the work queued on it: one event at a time per (webhook, gateway). */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: SequenceTrackerOptions<T> = {}) {
    this.store = options.store ?? new MemorySequenceStore<T>();
    this.holdForMs = options.holdForMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Takes one delivered event of `webhookId`: applies it (and any held ones it unblocks) in
   * sequence order, holds it if one before it is missing, or drops it as a duplicate. `apply`
   * runs before the state moves past an event, so a crash in between applies it again on the
   * redelivery: make `apply` idempotent by event id for exactly-once. Answer the delivery 2xx
   * once this resolves (a held event is stored by then).
   */
  receive(webhookId: string, event: T, apply: Apply<T>): Promise<Arrival> {
    const sequence = event.sequence ?? 0;
    if (sequence === 0) return Promise.resolve(apply(event)).then(() => 'unsequenced' as const);
    return this.locked(stateKey(webhookId, event.gatewayId), async (key) => {
      const state = (await this.store.load(key)) ?? { next: 1, lastId: null, held: [], skipped: [] };
      if (sequence < state.next) {
        const range = state.skipped.findIndex(([from, to]) => from <= sequence && sequence <= to);
        if (range < 0) return 'duplicate';
        await apply(event);
        state.skipped.splice(range, 1, ...splitRange(state.skipped[range], sequence));
        await this.store.save(key, state);
        return 'late';
      }
      if (state.held.some((h) => h.event.sequence === sequence)) return 'duplicate';
      if (sequence > state.next) {
        state.held.push({ event, heldAt: this.now() });
        state.held.sort((a, b) => a.event.sequence! - b.event.sequence!);
        await this.store.save(key, state);
        return 'held';
      }
      await this.advance(key, state, event, apply);
      await this.drain(key, state, apply);
      return 'in-order';
    });
  }

  /**
   * Ends the wait of held events past the time limit: the gap before them is filled from
   * `fillGap` if it can be, else given up (told to `onGap`; an event of it arriving later is
   * applied once, as 'late'), and the held events are applied in order. Call it every few seconds.
   */
  async releaseExpired(apply: Apply<T>): Promise<void> {
    for (const key of await this.store.keysHolding()) {
      const [webhookId, gatewayId] = key.split('\u0000');
      await this.locked(key, async () => {
        const state = await this.store.load(key);
        while (state && state.held.length > 0 && state.held[0].heldAt + this.holdForMs <= this.now()) {
          const first = state.held[0].event;
          const gap: Gap = { webhookId, gatewayId, afterId: state.lastId, beforeId: first.id, from: state.next, to: first.sequence! - 1 };
          const filled = this.options.fillGap ? await this.options.fillGap(gap) : [];
          for (const event of filled) {
            if (state.next > gap.to) break;
            await this.advance(key, state, { ...event, sequence: state.next }, apply);
          }
          if (state.next <= gap.to) {
            this.options.onGap?.({ ...gap, from: state.next });
            state.skipped = [...state.skipped, [state.next, gap.to] as [number, number]].slice(-KEEP_SKIPPED);
            state.next = gap.to + 1;
          }
          await this.drain(key, state, apply);
        }
      });
    }
  }

  /** The state of one (webhook, gateway): where it stands, what it holds. */
  async state(webhookId: string, gatewayId: string): Promise<SequenceState<T> | undefined> {
    return this.store.load(stateKey(webhookId, gatewayId));
  }

  private async advance(key: string, state: SequenceState<T>, event: T, apply: Apply<T>): Promise<void> {
    await apply(event);
    state.next = event.sequence! + 1;
    state.lastId = event.id;
    await this.store.save(key, state);
  }

  /** Applies the held events that follow on without a gap. */
  private async drain(key: string, state: SequenceState<T>, apply: Apply<T>): Promise<void> {
    while (state.held.length > 0 && state.held[0].event.sequence! <= state.next) {
      const { event } = state.held.shift()!;
      if (event.sequence! === state.next) await this.advance(key, state, event, apply);
    }
    await this.store.save(key, state);
  }

  private locked<R>(key: string, work: (key: string) => Promise<R>): Promise<R> {
    const run = (this.locks.get(key) ?? Promise.resolve()).then(() => work(key));
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    // The map holds only keys with work queued: it grows with concurrency, not with input.
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }
}

function stateKey(webhookId: string, gatewayId: string): string {
  return `${webhookId}\u0000${gatewayId}`;
}

/** A skipped range minus one sequence that arrived late. */
function splitRange([from, to]: [number, number], sequence: number): Array<[number, number]> {
  const parts: Array<[number, number]> = [];
  if (from < sequence) parts.push([from, sequence - 1]);
  if (sequence < to) parts.push([sequence + 1, to]);
  return parts;
}
