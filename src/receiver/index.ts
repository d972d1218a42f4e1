/**
 * `hearthook/receiver`: what a partner's backend needs to take Hearthook's webhooks safely —
 * signature verification, typed events, and order, de-duplication and gap filling by sequence.
 * Imports nothing from the server and nothing from Node: any runtime with Web Crypto and fetch.
 *
 * @example
 * import { verify, parseEvent, SequenceTracker } from 'hearthook/receiver';
 */
export { type CatchUpOptions, catchUpGapFiller } from './catchUpGapFiller.js';
export { type EventBodiesV1, type EventBodiesV2, type EventType, type HearthookEvent, InvalidEventError, parseEvent } from './parseEvent.js';
export type * from './eventTypes.generated.js';
export { MemorySequenceStore, type SequenceState, type SequenceStateStore, type SqliteHandle, SqliteSequenceStore } from './sequenceState.js';
export { type Arrival, type Gap, type Sequenced, SequenceTracker, type SequenceTrackerOptions } from './sequenceTracker.js';
export { type HeadersLike, type VerifiedDelivery, type VerifyOptions, verify, WebhookVerificationError } from './verify.js';
