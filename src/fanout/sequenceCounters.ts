import type { Db } from '../store/db.js';
import { valuesList } from '../store/valuesList.js';

/** Counters moved per multi-row upsert: well under both engines' limits on parameters. */
const ROWS_PER_STATEMENT = 200;

/**
 * One (webhook, gateway) sequence counter as a fan-out moves it: gap-free because it is moved
 * in the transaction that writes the deliveries numbered from it.
 */
export interface Counter {
  webhookId: string;
  gatewayId: string;
  /** Deliveries of this call for the pair. */
  count: number;
  /** The pair's next sequence number, once taken. */
  next: number;
}

/** The (webhook, gateway) counters one fan-out moves, each once. */
export class SequenceCounters {
  private readonly byWebhook = new Map<string, Map<string, Counter>>();

  /** Counts one more delivery for the pair; returns its counter. */
  count(webhookId: string, gatewayId: string): Counter {
    let byGateway = this.byWebhook.get(webhookId);
    if (!byGateway) {
      byGateway = new Map();
      this.byWebhook.set(webhookId, byGateway);
    }
    let counter = byGateway.get(gatewayId);
    if (!counter) {
      counter = { webhookId, gatewayId, count: 0, next: 0 };
      byGateway.set(gatewayId, counter);
    }
    counter.count++;
    return counter;
  }

  /**
   * Moves each counter past its deliveries, in one locked order (webhook, then gateway) so two
   * transactions cannot deadlock, and sets each pair's `next` to the first number of its run.
   */
  async take(tx: Db): Promise<void> {
    const ordered: Counter[] = [];
    for (const webhookId of [...this.byWebhook.keys()].sort(compare)) {
      const byGateway = this.byWebhook.get(webhookId)!;
      for (const gatewayId of [...byGateway.keys()].sort(compare)) ordered.push(byGateway.get(gatewayId)!);
    }
    for (let i = 0; i < ordered.length; i += ROWS_PER_STATEMENT) {
      const chunk = ordered.slice(i, i + ROWS_PER_STATEMENT);
      const values: unknown[] = [];
      for (const c of chunk) values.push(c.webhookId, c.gatewayId, c.count);
      const rows = await tx.all<{ webhook_id: string; gateway_id: string; last_sequence: number }>(
        `INSERT INTO webhook_sequences (webhook_id, gateway_id, last_sequence) VALUES ${valuesList('(?, ?, ?)', chunk.length)}
         ON CONFLICT (webhook_id, gateway_id) DO UPDATE SET last_sequence = webhook_sequences.last_sequence + excluded.last_sequence
         RETURNING webhook_id, gateway_id, last_sequence`,
        values,
      );
      for (const row of rows) {
        const counter = this.byWebhook.get(row.webhook_id)!.get(row.gateway_id)!;
        counter.next = Number(row.last_sequence) - counter.count + 1;
      }
    }
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
