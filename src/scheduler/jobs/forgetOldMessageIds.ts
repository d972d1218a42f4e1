import type { Runtime } from '../../runtime.js';
import { deleteInBatches } from '../deleteInBatches.js';

/**
 * Forgets gateway message ids older than `config.retentionMs`, at most 5,000 rows per statement
 * (each its own short write), so the de-duplication table does not grow forever. A gateway
 * resends within minutes; one resending a message older than the retention period has it
 * applied again. Returns how many ids it forgot.
 */
export function forgetOldMessageIds(rt: Runtime): Promise<number> {
  return deleteInBatches(
    rt.store,
    `DELETE FROM ingested_messages
      WHERE (gateway_id, message_id) IN (SELECT gateway_id, message_id FROM ingested_messages WHERE received_at < ? LIMIT ?)`,
    [rt.clock.now() - rt.config.retentionMs],
    5000,
  );
}
