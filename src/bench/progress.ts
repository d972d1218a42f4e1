/**
 * One progress line on stderr while a scenario runs: rewritten in place on a terminal, printed
 * at most every 2 s otherwise (CI logs), so a long run shows it is alive without flooding.
 */
export class Progress {
  private lastPrinted = 0;
  private shown = false;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly scenario: string) {}

  update(text: string): void {
    const line = `[${this.scenario}] ${text}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${line}`);
      this.shown = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPrinted < 2000) return;
    this.lastPrinted = now;
    process.stderr.write(`${line}\n`);
  }

  /** Ends the line with a final word. */
  done(text: string): void {
    const line = `[${this.scenario}] ${text}`;
    process.stderr.write(this.tty && this.shown ? `\r\x1b[K${line}\n` : `${line}\n`);
    this.shown = false;
  }
}

/** `12345.6` → `12,346`. */
export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
