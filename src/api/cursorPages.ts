import { badRequest } from './httpError.js';

/**
 * An opaque cursor over one increasing integer column (a log's `seq`, a table's `id`): `<tag><n>`
 * in base64url, so its layout can change without breaking anyone, and the tag keeps one list's
 * cursor from being taken by another.
 *
 * @example
 * const cursors = integerCursor('a');
 * cursors.encode(42); // "YTQy"
 * cursors.read('YTQy', 0); // 42 (a 400 naming /querystring/after for anything we did not give out)
 */
export function integerCursor(tag: string) {
  const pattern = new RegExp(`^${tag}(\\d{1,15})$`);
  const encode = (n: number): string => Buffer.from(`${tag}${n}`).toString('base64url');
  const decode = (text: string): number | undefined => {
    const match = pattern.exec(Buffer.from(text, 'base64url').toString());
    return match && encode(Number(match[1])) === text ? Number(match[1]) : undefined;
  };
  return {
    encode,
    decode,
    /** The position an `after` query parameter names, `start` when it is absent; a 400 when it is not ours. */
    read(after: string | undefined, start: number): number {
      if (after === undefined) return start;
      const position = decode(after);
      if (position === undefined) throw badRequest('/querystring/after', 'is not a cursor this API gave out (use nextCursor of a page)');
      return position;
    },
  };
}

/**
 * One page of a list read with `LIMIT limit + 1` (the extra row tells whether more follow), as
 * every list of the API answers: `data`, `nextCursor` (past the page's last row, or `empty` when
 * the page has none) and `hasMore`.
 */
export function cursorPage<Row, Shown>(
  rows: readonly Row[],
  limit: number,
  cursorOf: (row: Row) => string,
  show: (row: Row) => Shown,
  empty: string | null,
): { data: Shown[]; nextCursor: string | null; hasMore: boolean } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(show), nextCursor: last === undefined ? empty : cursorOf(last), hasMore: rows.length > limit };
}
