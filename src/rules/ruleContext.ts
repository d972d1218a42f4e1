import type { NewEvent } from '../fanout/fanOut.js';
import type { GatewayStateCache } from './gatewayState.js';
import type { Rules } from './ruleSet.js';

/**
 * What a rule works with in one transaction: the rule set, the backend's time (every event's
 * timestamp), the gateways' state, and the events decided so far (fanned out after the rules ran).
 */
export interface RuleContext {
  rules: Rules;
  now: number;
  state: GatewayStateCache;
  events: NewEvent[];
}

/** The gateway a message came from, as the rules need it. */
export interface GatewayInfo {
  id: string;
  /** IANA zone of the gateway's site, for its local days. */
  timezone: string;
}
