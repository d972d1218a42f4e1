import { formatNumber } from './progress.js';
import { met, type ScenarioResult } from './scenario.js';

/** The result table: every figure, its target and whether it is met. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows: string[][] = [['Scenario', 'Figure', 'Value', 'Target', 'Met', 'How']];
  for (const result of results) {
    if (result.skipped) {
      rows.push([result.scenario, 'skipped', '', '', '', result.skipped]);
      continue;
    }
    for (const figure of result.figures) {
      const ok = met(figure);
      const digits = Math.abs(figure.value) < 10 && !Number.isInteger(figure.value) ? 2 : figure.unit === 'ms' ? 1 : 0;
      rows.push([
        result.scenario,
        figure.name,
        `${formatNumber(figure.value, digits)} ${figure.unit}`,
        figure.target?.text ?? '',
        ok === undefined ? '' : ok ? 'yes' : 'NO',
        figure.note ?? '',
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
