const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `150ms`, `5s`, `15m`, `2h`, `5d`. A bare number is refused: `15` could
 * mean seconds as well as milliseconds, and guessing wrong makes a timeout 1000 times too short.
 * @example parseDuration('5m') // 300000
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration with a unit (use e.g. 500ms, 5s, 15m, 2h, 5d)`);
  return Math.round(Number(match[1]) * UNITS[match[2]]);
}

/** Parses a comma-separated list of durations: `0s,5s,5m,30m,2h`. */
export function parseDurationList(text: string): number[] {
  const list = text.split(',').map((part) => parseDuration(part));
  if (list.length === 0) throw new Error('the list of durations is empty');
  return list;
}

/** The shortest readable form of a duration, for logs and docs. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
