import { type DeliveryFilter, type DeliveryRow, listDeliveries, listOwnDeliveriesChanged } from '../../api/partner/deliveryQueries.js';
import type { Db } from '../../store/db.js';

/**
 * Rows a live log keeps up to date by id besides its filter's newest: the page's and those sent
 * since; the one longest neither changed nor among the newest is forgotten first. A page shows
 * 50 and a busy log adds a few a second, so this covers what a person is looking at; a re-read
 * is one primary-key seek per id.
 */
export const TRACKED_ROWS = 300;
/**
 * How far back before the previous tick a tracked row's `updated_at` counts as a change: other
 * nodes write it with their own clocks. Rows already sent unchanged are skipped by their version.
 */
const CLOCK_SLACK_MS = 10_000;

/**
 * What one delivery-log stream has sent, and what each tick sends next: the filter's newest rows
 * that are new or changed (new deliveries, attempts finishing), and every tracked row that changed
 * since the previous tick even if it no longer matches the filter (a dead row retried from a
 * `?status=dead` view turns delivered on the page) or has dropped out of the newest.
 *
 * @example
 * const log = new DeliveryLogStream(db, filter);
 * await log.track();                         // before the stream opens: the page's rows
 * const rows = await log.tick(clock.now());  // each tick: the rows to send, oldest first
 */
export class DeliveryLogStream {
  /** Delivery id → the version last sent ('' when tracked but not sent yet), least recently sent or listed first. */
  private readonly sent = new Map<number, string>();
  private previousTick = Number.NEGATIVE_INFINITY;
  /** Each row of the latest tick's listing → the next older row of that listing (newest first). */
  private readonly below = new Map<number, number>();

  constructor(
    private readonly db: Db,
    private readonly filter: DeliveryFilter,
  ) {}

  /**
   * Tracks the rows the page was rendered with (the filter's newest), before anything changes
   * them. Each tick then walks what the page's query walks: the newest 50 of each webhook under
   * the filter, which a filter that matches few rows makes a walk of the webhook's whole history
   * (the filters narrow what the (webhook_id, id) index returns, not what it reads). A lower
   * bound at the page's last row would not stop that walk on either engine: the webhook is a
   * range there (deliveryQueries.ts), so neither seeks on the id.
   */
  async track(): Promise<void> {
    for (const row of await listDeliveries(this.db, this.filter)) this.remember(row.id, '');
  }

  /** The rows to send now: new or changed since they were last sent, oldest first. */
  async tick(now: number): Promise<DeliveryRow[]> {
    const newest = await listDeliveries(this.db, this.filter);
    const listed = new Set(newest.map((row) => row.id));
    this.below.clear();
    for (let i = 0; i + 1 < newest.length; i++) this.below.set(newest[i].id, newest[i + 1].id);
    const others = [...this.sent.keys()].filter((id) => !listed.has(id));
    const changed = await listOwnDeliveriesChanged(this.db, this.filter.companyId, others, this.previousTick - CLOCK_SLACK_MS);
    this.previousTick = now;
    const toSend: DeliveryRow[] = [];
    const version = (row: DeliveryRow) => `${row.status}|${row.attempts}|${row.updated_at}|${row.waiting_for}`;
    for (const row of changed) {
      if (this.sent.get(row.id) === version(row)) continue;
      toSend.push(row);
      this.remember(row.id, version(row));
    }
    // The filter's newest are remembered again even when unchanged: they are the last forgotten.
    for (const row of newest) {
      if (this.sent.get(row.id) !== version(row)) toSend.push(row);
      this.remember(row.id, version(row));
    }
    for (const id of this.sent.keys()) {
      if (this.sent.size <= TRACKED_ROWS) break;
      this.sent.delete(id);
    }
    return toSend.sort((a, b) => a.id - b.id);
  }

  /**
   * Where a row goes on the page: the id of the row listed just below it by the latest tick (the
   * filter's next older one), or undefined when it was the last listed or not listed at all (a
   * tracked row that left the filter). The page's order is descending ids, which the public ids
   * (encrypted, deliveryIds.ts) do not show: naming the neighbour places a row without exposing
   * the store's key, so an older delivery that starts matching the filter goes where it belongs.
   */
  olderNeighbour(id: number): number | undefined {
    return this.below.get(id);
  }

  /** How many rows are tracked (at most TRACKED_ROWS). */
  get tracked(): number {
    return this.sent.size;
  }

  private remember(id: number, version: string): void {
    this.sent.delete(id);
    this.sent.set(id, version);
  }
}
