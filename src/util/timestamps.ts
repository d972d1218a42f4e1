/** The years a timestamp Hearthook takes may name: no gateway or partner lives outside them. */
export const FIRST_YEAR = 2000;
export const LAST_YEAR = 2100;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** What a refused timestamp is told, everywhere one is refused. */
export const TIMESTAMP_RULE = `must be an RFC 3339 date-time such as 2026-03-29T14:05:00Z, a real date, years ${FIRST_YEAR}–${LAST_YEAR}`;

/**
 * The instant an RFC 3339 date-time names, in ms since the epoch, or undefined when it is not
 * one Hearthook takes. Strict where `Date.parse` guesses: the date must exist (no February 30,
 * which `Date` turns into March 2), fields must be in range (no hour 24, no leap second 60:
 * JavaScript time cannot hold one), the offset at most ±23:59, the year 2000–2100 (a
 * `0000-01-01` or a five-digit year is a bug upstream, not a time). Fractions beyond
 * milliseconds are accepted and cut.
 *
 * @example
 * parseTimestamp('2026-03-29T14:05:00+02:00'); // 1774785900000
 * parseTimestamp('2026-02-30T00:00:00Z');      // undefined
 */
export function parseTimestamp(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (year < FIRST_YEAR || year > LAST_YEAR) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(local);
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    back.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  let offset = 0;
  if (m[8]) {
    const [oh, om] = [Number(m[9]), Number(m[10])];
    if (oh > 23 || om > 59) return undefined;
    offset = (m[8] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const millis = m[7] ? Number(m[7].slice(1, 4).padEnd(3, '0')) : 0;
  return local + millis - offset;
}

/** Whether `text` is a timestamp `parseTimestamp` takes (the JSON Schema `date-time` format). */
export const isTimestamp = (text: string): boolean => parseTimestamp(text) !== undefined;
