import type { PostResult } from './endpointClient.js';
import { nextAttemptAt, parseRetryAfter } from './retryPolicy.js';

/** What became of one attempt: the endpoint's answer, or why nothing could be sent. */
export type AttemptResult =
  | { sent: PostResult }
  | {
      /** Why no request was made, as the partner reads it in the attempt log. */
      unsendable: string;
      /** No point retrying: the event or webhook is gone. */
      final?: boolean;
      /** The webhook's configuration is at fault (secrets, URL, render): flag it for operators. */
      broken?: boolean;
    };

/** How an attempt moves its delivery, and what it says about the endpoint. */
export interface Classification {
  delivered: boolean;
  /** When failed: due again at this time, or dead when null. */
  next: number | null;
  statusCode: number | null;
  error: string | null;
  /** For the webhook's health record: `succeeded`, `failing`, `gone` (410), `broken`, or nothing. */
  endpoint: 'succeeded' | 'failing' | 'gone' | 'broken' | null;
}

/** 2xx is success; anything else, or no answer, is a failure. */
export function isSuccess(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 200 && statusCode < 300;
}

/**
 * The delivery contract (DESIGN.md) as one pure function: 2xx delivers; 410 kills the delivery
 * and disables the webhook; 3xx fails (redirects are not followed); 429 and 503 wait for
 * `Retry-After`; everything else waits for the schedule's next step, or is dead when the
 * schedule is used up (`attempts` counts this one).
 *
 * @example classifyOutcome({ sent: { statusCode: 503, headers: { 'retry-after': '30' }, body: '', error: null, durationMs: 4 } }, 1, [0, 5000], now)
 * // → { delivered: false, next: now + 30 s (+ jitter), statusCode: 503, error: 'HTTP 503', endpoint: 'failing' }
 */
export function classifyOutcome(
  result: AttemptResult,
  attempts: number,
  schedule: readonly number[],
  now: number,
  random: () => number = Math.random,
): Classification {
  if ('unsendable' in result) {
    const next = result.final ? null : nextAttemptAt(schedule, attempts, now, undefined, random);
    return { delivered: false, next, statusCode: null, error: result.unsendable, endpoint: result.broken ? 'broken' : null };
  }
  const { statusCode: code, headers, error } = result.sent;
  if (isSuccess(code)) return { delivered: true, next: null, statusCode: code, error: null, endpoint: 'succeeded' };
  if (code === 410) {
    return { delivered: false, next: null, statusCode: code, error: 'HTTP 410 Gone: the endpoint asked to be removed; webhook disabled', endpoint: 'gone' };
  }
  const redirect = code !== null && code >= 300 && code < 400;
  const retryAfter = code === 429 || code === 503 ? parseRetryAfter(headers['retry-after'], now) : undefined;
  return {
    delivered: false,
    next: nextAttemptAt(schedule, attempts, now, retryAfter, random),
    statusCode: code,
    error: redirect ? `HTTP ${code}: redirects are not followed` : (error ?? `HTTP ${code}`),
    endpoint: 'failing',
  };
}
