import type { Db } from '../../store/db.js';

/**
 * Records that a webhook's endpoint circuit is open until `until` (migration 023), so every node
 * can count open circuits. Written once per opening: the circuit's own state stays in memory.
 */
export function recordOpenCircuit(db: Db, webhookId: string, until: number): Promise<number> {
  return db.run('UPDATE webhooks SET circuit_open_until = ? WHERE id = ?', [until, webhookId]);
}
