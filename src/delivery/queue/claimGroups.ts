/** A queue move's view of one claimed row: its id and the claim that holds it. */
export interface ClaimRef {
  id: number;
  claim_token: string;
}

/** Rows grouped by the claim holding them (one claim statement's rows share a token). */
export function byClaim<T extends ClaimRef>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.claim_token);
    if (group) group.push(row);
    else groups.set(row.claim_token, [row]);
  }
  return groups;
}
