import { LRUCache } from 'lru-cache';

/**
 * Built lists by row shape and count. Shapes are a handful of literals in the code and counts are
 * capped by each caller's rows per statement (at most 500), but a list is as long as its count:
 * the bound keeps the lists in recent use (a 200-row list is ~5 KB) rather than every length ever
 * seen.
 */
const built = new LRUCache<string, string>({ max: 1000 });

/**
 * `(?, ?), (?, ?), …`: the VALUES list of a multi-row INSERT of `count` rows shaped like `row`,
 * built once per shape and count (ingest writes a dozen 200-row statements per batch).
 *
 * @example
 * `INSERT INTO t (a, b) VALUES ${valuesList('(?, ?)', 2)}` // … VALUES (?, ?), (?, ?)
 */
export function valuesList(row: string, count: number): string {
  const key = `${count}${row}`;
  let list = built.get(key);
  if (list === undefined) {
    list = Array.from({ length: count }, () => row).join(', ');
    built.set(key, list);
  }
  return list;
}
