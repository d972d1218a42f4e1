import type { Target } from './loadDeliveryTargets.js';

/** What stands for a secret wherever a request is recorded or shown. */
export const REDACTED = '[redacted]';

/**
 * Where an attempt went, as its attempt row records it (migration 026), with no secret in it:
 * the URL as sent with the API key's query value replaced by `[redacted]`, the header that
 * carried the key (null when it went in the query, or no key was sent), and the languages the
 * body was rendered with (JSON, as `companies.languages`).
 */
export interface AttemptTarget {
  url: string;
  apiKeyHeader: string | null;
  languages: string;
}

/**
 * Per decrypted webhook (DeliveryTargets caches them until the row changes), so recording where
 * an attempt went costs a lookup on the send path, not a URL built per delivery.
 */
const recorded = new WeakMap<Target, AttemptTarget>();

/**
 * Where buildRequest sends a request for `target`, secrets out. The key is placed by the same
 * rule: a header (its name lower-cased, as sent), else the query; no key, no placement.
 *
 * @example attemptTarget(target) // { url: 'https://x.example/hook?apikey=[redacted]', apiKeyHeader: null, languages: '["en"]' }
 */
export function attemptTarget(target: Target): AttemptTarget {
  let found = recorded.get(target);
  if (found) return found;
  const languages = JSON.stringify(target.languages);
  if (target.apiKey === '') found = { url: target.url.toString(), apiKeyHeader: null, languages };
  else if (target.apiKeyLocation === 'HEADER') found = { url: target.url.toString(), apiKeyHeader: target.apiKeyName.toLowerCase(), languages };
  else found = { url: redactedQuery(target.url, target.apiKeyName), apiKeyHeader: null, languages };
  recorded.set(target, found);
  return found;
}

/**
 * `url` with the query parameter `name` set to `[redacted]`, written as such (a person reads it;
 * URLSearchParams would write %5Bredacted%5D). Only that parameter's value is touched.
 */
function redactedQuery(url: URL, name: string): string {
  const placed = new URL(url);
  placed.searchParams.set(name, REDACTED);
  const pair = new URLSearchParams({ [name]: REDACTED }).toString(); // name=%5Bredacted%5D
  const key = pair.slice(0, pair.indexOf('=') + 1);
  return placed.toString().replace(new RegExp(`(?<=[?&])${escapeRegExp(pair)}(?=&|#|$)`), () => `${key}${REDACTED}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
