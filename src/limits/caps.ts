import { HttpError } from '../api/httpError.js';

/**
 * The 409 of a cap per company: its title names the cap and the `HEARTHOOK_` variable that sets
 * it, `errors` the field that ran into it.
 *
 * @example throw capReached('webhooks per company', 'HEARTHOOK_MAX_WEBHOOKS', 20, '/body');
 */
export function capReached(cap: string, variable: string, value: number, field: string): HttpError {
  const message = `cap reached: ${cap} (${variable}=${value})`;
  return new HttpError(409, message, [{ field, message }]);
}

/** Throws the 409 when a webhook would subscribe to more event types than the cap allows. */
export function checkEventTypeCap(eventTypes: readonly string[] | undefined, cap: number): void {
  if (eventTypes !== undefined && eventTypes.length > cap) {
    throw capReached('event types per webhook', 'HEARTHOOK_MAX_EVENT_TYPES_PER_WEBHOOK', cap, '/body/eventTypes');
  }
}
