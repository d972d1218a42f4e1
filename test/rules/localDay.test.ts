import { describe, expect, it } from 'vitest';
import { endOfLocalDay, localDate, startOfLocalDay } from '../../src/rules/localDay.js';

const HOUR = 3_600_000;

describe('gateway-local days', () => {
  it('gives the DST days of Europe/Berlin their true length: 23 h in spring, 25 h in autumn', () => {
    expect(startOfLocalDay('2026-03-29', 'Europe/Berlin')).toBe(Date.parse('2026-03-28T23:00:00Z'));
    expect(endOfLocalDay('2026-03-29', 'Europe/Berlin') - startOfLocalDay('2026-03-29', 'Europe/Berlin')).toBe(23 * HOUR);
    expect(endOfLocalDay('2026-10-25', 'Europe/Berlin') - startOfLocalDay('2026-10-25', 'Europe/Berlin')).toBe(25 * HOUR);
    expect(endOfLocalDay('2026-06-01', 'Europe/Berlin') - startOfLocalDay('2026-06-01', 'Europe/Berlin')).toBe(24 * HOUR);
  });

  it('puts instants on their local date at both edges of a day', () => {
    expect(localDate(Date.parse('2026-03-28T22:59:59.999Z'), 'Europe/Berlin')).toBe('2026-03-28');
    expect(localDate(Date.parse('2026-03-28T23:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
    expect(localDate(Date.parse('2026-03-29T21:59:59.999Z'), 'Europe/Berlin')).toBe('2026-03-29');
    expect(localDate(Date.parse('2026-03-29T22:00:00Z'), 'Europe/Berlin')).toBe('2026-03-30');
    expect(localDate(Date.parse('2026-01-01T18:29:59Z'), 'Asia/Kolkata')).toBe('2026-01-01');
    expect(localDate(Date.parse('2026-01-01T18:30:00Z'), 'Asia/Kolkata')).toBe('2026-01-02');
  });

  it('starts a day whose midnight a DST change skipped at its first real instant', () => {
    // Brazil moved clocks from 00:00 to 01:00 on 2018-11-04.
    expect(startOfLocalDay('2018-11-04', 'America/Sao_Paulo')).toBe(Date.parse('2018-11-04T03:00:00Z'));
  });
});
