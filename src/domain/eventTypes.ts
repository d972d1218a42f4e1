/** The six event types a partner can receive (DOMAIN.md). */
export const EVENT_TYPES = [
  'CONNECTIVITY_STATUS',
  'APPLIANCE_STATUS',
  'CONTRACT_STATUS',
  'DATA_POINT',
  'DAILY_AGGREGATE',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What the owner granted the company for a gateway. */
export const CONSENTS = ['ERROR_NOTIFICATIONS', 'MONITOR_AND_CONTROL'] as const;
export type Consent = (typeof CONSENTS)[number];

/**
 * Event types each consent unlocks (the reference page's precondition table).
 * CONTRACT_STATUS goes to the company whose contract changed whatever the consent, so it is in both.
 */
export const TYPES_FOR_CONSENT: Record<Consent, readonly EventType[]> = {
  ERROR_NOTIFICATIONS: ['CONNECTIVITY_STATUS', 'APPLIANCE_STATUS', 'CONTRACT_STATUS'],
  MONITOR_AND_CONTROL: ['CONNECTIVITY_STATUS', 'APPLIANCE_STATUS', 'CONTRACT_STATUS', 'DATA_POINT', 'DAILY_AGGREGATE'],
};

export function consentCovers(consent: Consent, type: EventType): boolean {
  return TYPES_FOR_CONSENT[consent].includes(type);
}
