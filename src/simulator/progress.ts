/** What a simulator run has done so far. */
export interface SimulationStats {
  /** Messages sent in ingest requests (answered or not). */
  sent: number;
  /** Messages Hearthook took in (202). */
  accepted: number;
  /** Messages Hearthook recognised as resent (same messageId). */
  duplicates: number;
  /** Events the rules made of them. */
  events: number;
  /** Messages in requests that failed (refused, timed out, unreachable). */
  errors: number;
  requests: number;
  /** The latest failure, to say why errors grow. */
  lastError?: string;
}

export function emptyStats(): SimulationStats {
  return { sent: 0, accepted: 0, duplicates: 0, events: 0, errors: 0, requests: 0 };
}

/**
 * Keeps one progress line on a stream: rewritten in place on a terminal, one line per update
 * otherwise (a log file or a test reading stderr gets whole lines).
 */
export class ProgressLine {
  private lastAccepted = 0;
  private lastAt: number;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly startedAt: number,
  ) {
    this.lastAt = startedAt;
  }

  /** Writes the line for `stats` at `now`; the rate is accepted messages per second since the last update. */
  update(stats: SimulationStats, now: number): void {
    const seconds = Math.max(0.001, (now - this.lastAt) / 1000);
    const rate = (stats.accepted - this.lastAccepted) / seconds;
    this.lastAccepted = stats.accepted;
    this.lastAt = now;
    const line =
      `[${formatSeconds(now - this.startedAt)}] sent ${stats.sent}  accepted ${stats.accepted}  events ${stats.events}` +
      `  errors ${stats.errors}  ${rate.toFixed(1)} msg/s`;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line}`);
    else this.out.write(`${line}\n`);
  }

  /** Ends the line in place so that what follows starts on a new one. */
  end(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

/** The closing report of a run. */
export function summary(stats: SimulationStats, info: { gateways: number; elapsedMs: number; seed: number }): string {
  const rate = stats.accepted / Math.max(0.001, info.elapsedMs / 1000);
  const lines = [
    `simulated ${info.gateways} gateways for ${formatSeconds(info.elapsedMs)} (seed ${info.seed})`,
    `  messages sent ${stats.sent} in ${stats.requests} requests, accepted ${stats.accepted}, duplicates ${stats.duplicates}, errors ${stats.errors}`,
    `  events ${stats.events}, ${rate.toFixed(1)} msg/s accepted`,
  ];
  if (stats.lastError) lines.push(`  last error: ${stats.lastError}`);
  return `${lines.join('\n')}\n`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
