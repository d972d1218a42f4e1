const built = new Map<string, string[]>();

/**
 * `(?, ?), (?, ?), …`: the VALUES list of a multi-row INSERT of `count` rows shaped like `row`,
 * built once per shape and count (ingest writes a dozen 200-row statements per batch).
 *
 * @example
 * `INSERT INTO t (a, b) VALUES ${valuesList('(?, ?)', 2)}` // … VALUES (?, ?), (?, ?)
 */
export function valuesList(row: string, count: number): string {
  let byCount = built.get(row);
  if (!byCount) {
    byCount = [];
    built.set(row, byCount);
  }
  byCount[count] ??= Array.from({ length: count }, () => row).join(', ');
  return byCount[count];
}
