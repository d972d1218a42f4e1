import type { Runtime } from '../../runtime.js';

const BATCH = 5000;

/**
 * Forgets gateway message ids older than `config.retentionMs`, at most 5,000 rows per statement
 * (each its own short write), so the de-duplication table does not grow forever. A gateway
 * resends within minutes; one resending a message older than the retention period has it
 * applied again. Returns how many ids it forgot.
 */
export async function forgetOldMessageIds(rt: Runtime): Promise<number> {
  const cutoff = rt.clock.now() - rt.config.retentionMs;
  let forgotten = 0;
  for (;;) {
    const n = await rt.store.run(
      `DELETE FROM ingested_messages
        WHERE (gateway_id, message_id) IN (SELECT gateway_id, message_id FROM ingested_messages WHERE received_at < ? LIMIT ?)`,
      [cutoff, BATCH],
    );
    forgotten += n;
    if (n < BATCH) return forgotten;
  }
}
