import type { Db } from '../../store/db.js';
import { valuesList } from '../../store/valuesList.js';
import type { AttemptTarget } from '../attemptTarget.js';

export interface AttemptRecord {
  deliveryId: number;
  /** The claim that made the attempt. */
  claimToken: string | null;
  attemptedAt: number;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  /** Where the request went, secrets out (attemptTarget.ts); none when no request was made. */
  sentTo?: AttemptTarget;
}

const ROWS_PER_STATEMENT = 100;

/** Appends attempts to the log, up to 100 rows per INSERT. */
export async function recordAttempts(db: Db, attempts: readonly AttemptRecord[]): Promise<void> {
  for (let i = 0; i < attempts.length; i += ROWS_PER_STATEMENT) {
    const chunk = attempts.slice(i, i + ROWS_PER_STATEMENT);
    await db.run(
      `INSERT INTO delivery_attempts (delivery_id, claim_token, attempted_at, status_code, duration_ms, response_body, error, url, api_key_header, languages)
       VALUES ${valuesList('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', chunk.length)}`,
      chunk.flatMap((a) => [
        a.deliveryId,
        a.claimToken,
        a.attemptedAt,
        a.statusCode,
        a.durationMs,
        storable(a.responseBody),
        storable(a.error),
        a.sentTo?.url ?? null,
        a.sentTo?.apiKeyHeader ?? null,
        a.sentTo?.languages ?? null,
      ]),
    );
  }
}

/**
 * Text PostgreSQL can store: without NUL, which it refuses in text (an endpoint that answers
 * with one would otherwise fail every write of the batch its outcome is in, again and again).
 */
export function storable(text: string | null): string | null {
  return text?.includes('\u0000') ? text.replaceAll('\u0000', '\ufffd') : text;
}
