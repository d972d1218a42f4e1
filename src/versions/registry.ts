/**
 * The API versions events are rendered in. Each major has a release date; the previous major is
 * deprecated at the next release and supported for six months after it.
 */
export interface ApiVersion {
  major: number;
  /** Latest minor of this major: minor changes only add fields. */
  minor: number;
  /** ISO date the major was released. */
  releasedAt: string;
}

export const API_VERSIONS: readonly ApiVersion[] = [
  { major: 1, minor: 0, releasedAt: '2025-06-01' },
  { major: 2, minor: 0, releasedAt: '2026-10-01' },
];

/** The newest released major at `now`: what new webhooks are pinned to. */
export function currentMajor(now: number, versions: readonly ApiVersion[] = API_VERSIONS): number {
  let current = versions[0].major;
  for (const v of versions) if (Date.parse(v.releasedAt) <= now) current = v.major;
  return current;
}

/** `MAJOR.MINOR` of a major, as sent in `x-api-version`. */
export function versionHeader(major: number, versions: readonly ApiVersion[] = API_VERSIONS): string {
  const v = versions.find((x) => x.major === major);
  return `${major}.${v?.minor ?? 0}`;
}
