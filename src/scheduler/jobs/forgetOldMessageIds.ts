import type { Runtime } from '../../runtime.js';
import { deleteInBatches } from '../deleteInBatches.js';

/**
 * Forgets gateway message ids older than `config.retentionMs`, from both tables of the resend
 * guard (migration 021), at most 5,000 rows per statement (each its own short write), so the
 * de-duplication tables do not grow forever. A gateway resends within minutes; one resending a
 * message older than the retention period has it applied again. Returns how many ids it forgot.
 */
export async function forgetOldMessageIds(rt: Runtime): Promise<number> {
  const cutoff = rt.clock.now() - rt.config.retentionMs;
  let forgotten = 0;
  for (const table of ['message_ids_kept', 'message_ids_recent']) {
    forgotten += await deleteInBatches(
      rt.store,
      `DELETE FROM ${table}
        WHERE (gateway_id, message_id) IN (SELECT gateway_id, message_id FROM ${table} WHERE received_at < ? LIMIT ?)`,
      [cutoff],
      5000,
    );
  }
  return forgotten;
}
