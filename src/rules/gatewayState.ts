import type { Db } from '../store/db.js';
import { valuesList } from '../store/valuesList.js';

interface Entry {
  /** The stored JSON text, parsed on first use: most keys of a gateway are not touched by a batch. */
  text?: string;
  value?: unknown;
  parsed: boolean;
  dueAt: number | null;
  dirty: boolean;
  deleted: boolean;
}

/**
 * Per-gateway rule state (`gateway_state`) held in memory for one transaction: each gateway's
 * rows are read with one statement, rules read and change them synchronously, and `flush` writes
 * each changed (gateway, key) once. A batch of 1000 messages from one gateway thus costs two
 * state statements, not two thousand.
 *
 * Values are JSON. A rule that changes a value in place must still call `set` to mark it dirty.
 *
 * @example
 * const state = new GatewayStateCache(tx);
 * await state.load(['101506113']);
 * state.set('101506113', 'connectivity', { status: 'ONLINE' });
 * await state.flush(now);
 */
/** Rows per upsert statement: well under both engines' limits on parameters per statement. */
const UPSERTS_PER_STATEMENT = 200;

export class GatewayStateCache {
  private readonly gateways = new Map<string, Map<string, Entry>>();

  constructor(private readonly tx: Db) {}

  /**
   * Reads the state of each gateway not yet loaded, in one statement (a statement per gateway
   * cost a network round trip each on PostgreSQL: npm run bench).
   */
  async load(gatewayIds: Iterable<string>): Promise<void> {
    const ids = [...gatewayIds].filter((id) => !this.gateways.has(id));
    if (ids.length === 0) return;
    for (const id of ids) this.gateways.set(id, new Map());
    const rows = await this.tx.all<{ gateway_id: string; key: string; value: string; due_at: number | null }>(
      `SELECT gateway_id, key, value, due_at FROM gateway_state WHERE gateway_id IN (${this.tx.dialect.jsonTextList})`,
      [JSON.stringify(ids)],
    );
    for (const row of rows) {
      this.gateways.get(row.gateway_id)!.set(row.key, { text: row.value, parsed: false, dueAt: row.due_at, dirty: false, deleted: false });
    }
  }

  /** The value of a key, or undefined when the gateway has none. */
  get<T>(gatewayId: string, key: string): T | undefined {
    const entry = this.entries(gatewayId).get(key);
    if (!entry || entry.deleted) return undefined;
    if (!entry.parsed) {
      entry.value = JSON.parse(entry.text!);
      entry.parsed = true;
    }
    return entry.value as T;
  }

  /** Sets a key; `dueAt` is when a scheduler job should look at it (null: never). */
  set(gatewayId: string, key: string, value: unknown, dueAt: number | null = null): void {
    this.entries(gatewayId).set(key, { value, parsed: true, dueAt, dirty: true, deleted: false });
  }

  /** Removes a key. */
  delete(gatewayId: string, key: string): void {
    const entries = this.entries(gatewayId);
    if (entries.has(key)) entries.set(key, { parsed: true, dueAt: null, dirty: true, deleted: true });
  }

  /** Writes every changed key: deletes one by one (they are rare), upserts 200 to a statement. */
  async flush(now: number): Promise<void> {
    const upserts: unknown[][] = [];
    for (const [gatewayId, entries] of this.gateways) {
      for (const [key, entry] of entries) {
        if (!entry.dirty) continue;
        entry.dirty = false;
        if (entry.deleted) {
          await this.tx.run('DELETE FROM gateway_state WHERE gateway_id = ? AND key = ?', [gatewayId, key]);
        } else {
          upserts.push([gatewayId, key, JSON.stringify(entry.value), entry.dueAt, now]);
        }
      }
    }
    for (let i = 0; i < upserts.length; i += UPSERTS_PER_STATEMENT) {
      const chunk = upserts.slice(i, i + UPSERTS_PER_STATEMENT);
      await this.tx.run(
        `INSERT INTO gateway_state (gateway_id, key, value, due_at, updated_at) VALUES ${valuesList('(?, ?, ?, ?, ?)', chunk.length)}
         ON CONFLICT (gateway_id, key) DO UPDATE
         SET value = excluded.value, due_at = excluded.due_at, updated_at = excluded.updated_at`,
        chunk.flat(),
      );
    }
  }

  private entries(gatewayId: string): Map<string, Entry> {
    const entries = this.gateways.get(gatewayId);
    if (!entries) throw new Error(`gateway state of ${gatewayId} was not loaded`);
    return entries;
  }
}
