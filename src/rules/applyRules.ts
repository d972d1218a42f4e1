import { applyConnectivity } from './connectivity.js';
import { accumulateDaily } from './dailyAggregate.js';
import { applyDataPoint, isNotAvailable } from './dataPoints.js';
import { applyFault } from './faults.js';
import type { GatewayMessage } from './messages.js';
import type { GatewayInfo, RuleContext } from './ruleContext.js';

/**
 * Runs every rule a message is subject to, in order: connectivity first (any message shows the
 * gateway is online, so ONLINE precedes what it sent), then the rules of its kind. Synchronous:
 * the gateway's state is already in `ctx.state`, and events are collected in `ctx.events`.
 *
 * @example
 * applyRules(ctx, { id: '101506113', timezone: 'Europe/Berlin' }, { kind: 'heartbeat', gatewayId: '101506113' });
 */
export function applyRules(ctx: RuleContext, gateway: GatewayInfo, message: GatewayMessage): void {
  applyConnectivity(ctx, message);
  switch (message.kind) {
    case 'fault':
      applyFault(ctx, message);
      break;
    case 'datapoint':
      // "Not available" is not a value: it neither reports nor moves a counter's baseline.
      if (isNotAvailable(ctx, message.value)) break;
      applyDataPoint(ctx, message);
      accumulateDaily(ctx, gateway, message);
      break;
    default:
      // heartbeat and connection: connectivity is all they carry.
      break;
  }
}
