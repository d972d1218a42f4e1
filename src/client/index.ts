/**
 * `hearthook/client`: a typed client of Hearthook's partner and operator APIs, its types
 * generated from `/openapi.json` by every build (openapi-typescript) and its calls made by
 * openapi-fetch: paths, parameters, bodies and answers are checked by the compiler.
 *
 * @example
 * import { createHearthookClient } from 'hearthook/client';
 * const hearthook = createHearthookClient({ baseUrl: 'https://hearthook.example', apiKey: process.env.HEARTHOOK_API_KEY });
 * const { data, error } = await hearthook.GET('/v1/events', { params: { query: { limit: 100 } } });
 * if (data) for (const event of data.data) console.log(event.id, event.type);
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './openapi.generated.js';

export type { components, operations, paths } from './openapi.generated.js';

export interface HearthookClientOptions extends ClientOptions {
  /** A partner API key (`xHCSAPI…`), sent as `x-api-key`. */
  apiKey?: string;
  /** An operator token, sent as `Authorization: Bearer`. */
  adminToken?: string;
}

/** A client for one Hearthook. Each call answers `{ data }` or `{ error }` (problem+json), never throws on a 4xx. */
export function createHearthookClient(options: HearthookClientOptions): Client<paths> {
  const { apiKey, adminToken, headers, ...rest } = options;
  const auth: Record<string, string> = {};
  if (apiKey) auth['x-api-key'] = apiKey;
  if (adminToken) auth.authorization = `Bearer ${adminToken}`;
  return createClient<paths>({ ...rest, headers: { ...auth, ...(headers as Record<string, string> | undefined) } });
}
