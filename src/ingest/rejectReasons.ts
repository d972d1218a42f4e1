import type { FieldError } from '../api/httpError.js';

/** The ways into ingest: `POST /v1/ingest` and the MQTT broker. */
export type IngestChannel = 'http' | 'mqtt';

/**
 * Why messages were refused (an HTTP 400, or an MQTT publish acknowledged without being taken
 * in): the `reason` of `rejected_messages` and of `hearthook_ingest_rejected_messages_total`.
 */
export type RejectReason = 'invalid-json' | 'unknown-kind' | 'invalid-message' | 'gateway-mismatch' | 'unknown-gateway';

/** The reasons each channel can give (the series `/metrics` shows at 0 from the start). */
export const REJECT_REASONS: Record<IngestChannel, readonly RejectReason[]> = {
  // A body that is not JSON never reaches the ingest route (Fastify's parser answers 400).
  http: ['unknown-kind', 'invalid-message', 'unknown-gateway'],
  mqtt: ['invalid-json', 'unknown-kind', 'invalid-message', 'gateway-mismatch', 'unknown-gateway'],
};

/** The reason for messages the message checker refused: an unknown `kind` above any other field. */
export function reasonOfInvalid(errors: readonly FieldError[]): RejectReason {
  return errors.some((e) => e.field.endsWith('/kind')) ? 'unknown-kind' : 'invalid-message';
}
