import type { FaultMessage } from './messages.js';
import type { RuleContext } from './ruleContext.js';

/** The gateway_state key holding a gateway's open faults; its `due_at` is the oldest pending one's start. */
export const FAULTS_KEY = 'faults';

/** A fault that is active now: pending (waiting out the transient window) or reported. */
export interface OpenFault {
  displayCode: string;
  causeCode: string | number;
  severity: string;
  /** Backend time it became active: the transient window is measured on the backend's clock. */
  since: number;
  /** The gateway's `sentAt` of the activation, if it gave one. */
  sentAt?: number;
  reported: boolean;
}

type OpenFaults = Record<string, OpenFault>;

/**
 * Appliance status from a fault message. A relevant fault (ERROR or WARNING by default) that
 * becomes active is recorded as pending; the `reportPendingFaults` job reports it once it has
 * been active for the transient window. A fault that clears before that is never reported; one
 * already reported gets exactly one RESOLVED. A repeat of an active fault changes nothing.
 */
export function applyFault(ctx: RuleContext, message: FaultMessage): void {
  const { gatewayId } = message;
  const code = faultCode(message.displayCode, message.causeCode);
  const faults = ctx.state.get<OpenFaults>(gatewayId, FAULTS_KEY) ?? {};
  const open = faults[code];

  if (message.active) {
    if (open || !ctx.rules.relevantSeverities.has(message.severity)) return;
    faults[code] = {
      displayCode: message.displayCode,
      causeCode: message.causeCode,
      severity: message.severity,
      since: ctx.now,
      sentAt: message.sentAt,
      reported: false,
    };
  } else {
    // A clear is matched by code alone, whatever severity it carries.
    if (!open) return;
    delete faults[code];
    if (!open.reported) {
      // When both ends carry the gateway's time, the gateway's own clock measures the fault (a
      // delayed upload cannot make a long fault look short); otherwise the backend's does.
      const lasted =
        open.sentAt !== undefined && message.sentAt !== undefined ? message.sentAt - open.sentAt : ctx.now - open.since;
      if (lasted < ctx.rules.transientFaultWindow) {
        saveFaults(ctx, gatewayId, faults);
        return;
      }
      // It lasted the window but cleared before the job reported it: it was real, so both ends go out.
      emitFault(ctx, gatewayId, open, 'ACTIVE', open.sentAt);
    }
    emitFault(ctx, gatewayId, open, 'RESOLVED', message.sentAt);
  }
  saveFaults(ctx, gatewayId, faults);
}

/**
 * Reports each pending fault of a gateway that has been active for the transient window (for
 * the job). Returns how many it reported.
 */
export function reportDueFaults(ctx: RuleContext, gatewayId: string): number {
  const faults = ctx.state.get<OpenFaults>(gatewayId, FAULTS_KEY);
  if (!faults) return 0;
  let reported = 0;
  for (const fault of Object.values(faults)) {
    if (fault.reported || ctx.now - fault.since < ctx.rules.transientFaultWindow) continue;
    fault.reported = true;
    emitFault(ctx, gatewayId, fault, 'ACTIVE', fault.sentAt);
    reported++;
  }
  // Saved even when nothing was due, so a stale due_at is corrected and not selected again.
  saveFaults(ctx, gatewayId, faults);
  return reported;
}

/** The identity of a fault: display code plus cause code, e.g. `A11/3061`. */
export function faultCode(displayCode: string, causeCode: string | number): string {
  return `${displayCode}/${causeCode}`;
}

function emitFault(
  ctx: RuleContext,
  gatewayId: string,
  fault: OpenFault,
  status: 'ACTIVE' | 'RESOLVED',
  occurredAt: number | undefined,
): void {
  ctx.events.push({
    type: 'APPLIANCE_STATUS',
    gatewayId,
    occurredAt,
    data: {
      status,
      severity: fault.severity,
      displayCode: fault.displayCode,
      causeCode: fault.causeCode,
      descriptions: ctx.rules.describeFault(fault.displayCode, fault.causeCode),
    },
  });
}

/** Stores the open faults with the time the job should look again (the oldest pending start). */
function saveFaults(ctx: RuleContext, gatewayId: string, faults: OpenFaults): void {
  const pending = Object.values(faults).filter((f) => !f.reported);
  if (Object.keys(faults).length === 0) ctx.state.delete(gatewayId, FAULTS_KEY);
  else ctx.state.set(gatewayId, FAULTS_KEY, faults, pending.length ? Math.min(...pending.map((f) => f.since)) : null);
}
