import { describe, expect, it } from 'vitest';
import { attemptTarget } from '../../src/delivery/attemptTarget.js';
import { buildRequest } from '../../src/delivery/buildRequest.js';
import type { Target } from '../../src/delivery/loadDeliveryTargets.js';

const KEY = 'SECRET-key/+&=?';
const event = { id: 'evt_1', type: 'CONNECTIVITY_STATUS', gatewayId: '1', dataJson: '{"connectivityStatus":"ONLINE"}', occurredAt: 0, createdAt: 0 };

function target(url: string, apiKeyName: string, apiKeyLocation: 'HEADER' | 'QUERY', apiKey = KEY): Target {
  return { id: 'wh_1', url: new URL(url), apiKeyName, apiKeyLocation, apiKey, signingKeys: [Buffer.alloc(32)], apiVersion: 2, languages: ['de', 'en'], updatedAt: 0 };
}

/** What an attempt records is where buildRequest sent it, the key's value replaced by [redacted]. */
describe('attemptTarget', () => {
  it.each([
    ['https://x.example/hook', 'apikey'],
    ['https://x.example/hook?a=1&b=%5Bredacted%5D', 'apikey'],
    ['https://x.example/hook?apikey=old&z=2', 'apikey'],
    ['https://x.example/p?a=1#frag', 'my key+[1]'],
  ])('the query of %s with the key in %s', (url, name) => {
    const t = target(url, name, 'QUERY');
    const sent = buildRequest(event as never, t, 1, 2, 0).url.toString();
    const encodedKey = new URLSearchParams({ k: KEY }).toString().slice(2);
    const recorded = attemptTarget(t);
    expect(recorded.url).toBe(sent.replace(`=${encodedKey}`, '=[redacted]'));
    expect(recorded.url).not.toContain(encodedKey);
    expect(recorded.apiKeyHeader).toBeNull();
    expect(recorded.languages).toBe('["de","en"]');
  });

  it('a key in a header: the URL as it is and the header as sent (lower case)', () => {
    const t = target('https://x.example/hook?a=1', 'X-Partner-Key', 'HEADER');
    expect(buildRequest(event as never, t, 1, 2, 0).headers['x-partner-key']).toBe(KEY);
    expect(attemptTarget(t)).toEqual({ url: 'https://x.example/hook?a=1', apiKeyHeader: 'x-partner-key', languages: '["de","en"]' });
  });

  it('no key (hearthook listen): no placement', () => {
    expect(attemptTarget(target('https://x.example/hook', 'apikey', 'QUERY', ''))).toMatchObject({ url: 'https://x.example/hook', apiKeyHeader: null });
  });
});
