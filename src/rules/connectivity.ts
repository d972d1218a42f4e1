import type { GatewayMessage } from './messages.js';
import type { RuleContext } from './ruleContext.js';

export type ConnectivityStatus = 'ONLINE' | 'OFFLINE';

/** The gateway_state key holding the last *reported* status: `{ status }`. */
export const CONNECTIVITY_KEY = 'connectivity';

/** The stored value of a gateway last reported ONLINE, for the check job's query. */
export const REPORTED_ONLINE = JSON.stringify({ status: 'ONLINE' });

/**
 * A `connection` message sets the status at once (CONNECTED → ONLINE, DISCONNECTED → OFFLINE);
 * any other message proves the gateway is online. An event is sent only when the status differs
 * from the last one reported.
 */
export function applyConnectivity(ctx: RuleContext, message: GatewayMessage): void {
  const status: ConnectivityStatus =
    message.kind === 'connection' && message.status === 'DISCONNECTED' ? 'OFFLINE' : 'ONLINE';
  reportConnectivity(ctx, message.gatewayId, status, message.sentAt);
}

/**
 * Sends CONNECTIVITY_STATUS when `status` differs from the last reported status; returns
 * whether it did. Also used by the check job for gateways gone silent.
 */
export function reportConnectivity(
  ctx: RuleContext,
  gatewayId: string,
  status: ConnectivityStatus,
  occurredAt?: number,
): boolean {
  const last = ctx.state.get<{ status: ConnectivityStatus }>(gatewayId, CONNECTIVITY_KEY);
  if (last?.status === status) return false;
  ctx.state.set(gatewayId, CONNECTIVITY_KEY, { status });
  ctx.events.push({ type: 'CONNECTIVITY_STATUS', gatewayId, data: { connectivityStatus: status }, occurredAt });
  return true;
}
