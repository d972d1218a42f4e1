import type { Runtime } from '../../runtime.js';
import { deleteInBatches } from '../deleteInBatches.js';

/**
 * Deletes rejected MQTT messages older than `config.rejectedRetentionMs`, at most 5,000 rows per
 * statement, so a gateway that keeps publishing garbage cannot grow `rejected_messages` without
 * end. An operator reads them within days; what is older has been seen or will not be. Returns
 * how many it deleted.
 */
export function forgetRejectedMessages(rt: Runtime): Promise<number> {
  return deleteInBatches(
    rt.store,
    'DELETE FROM rejected_messages WHERE id IN (SELECT id FROM rejected_messages WHERE received_at < ? LIMIT ?)',
    [rt.clock.now() - rt.config.rejectedRetentionMs],
    5000,
  );
}
