/**
 * The API versions events are rendered in, and what each one's status is at a given time.
 *
 * Rules (the reference page's "API versioning", DESIGN.md "API versions"):
 * - Each major has a release date. The newest released major is **current**: new webhooks are
 *   pinned to it unless they ask for another supported major.
 * - When the next major is released, the previous one is **deprecated** and stays supported for
 *   {@link SUPPORT_MONTHS} calendar months after that release; then it is **retired**.
 * - A major announced with a future release date is **upcoming**: listed and its schemas
 *   published, so partners can prepare, but nothing can be pinned to it yet.
 * - A delivery renders in the webhook's **effective** major ({@link effectiveMajor}): its pinned
 *   major until that major's support ends, then the current one. The dispatcher then records the
 *   automatic upgrade on the webhook, once (`autoUpgradedFrom`, `autoUpgradedAt`), and pins it to
 *   the current major.
 * - **Retries** render the webhook's effective major at the time of *that* attempt, not the major
 *   of the first attempt, and `deliveries.api_version` holds the major of the latest attempt. Why:
 *   - a partner opts in when its receiver parses the new major; a retry goes to the receiver as
 *     it is now, and re-sending the old shape to it would only fail again;
 *   - the default retry schedule spans about three days, so freezing the first attempt's major
 *     would keep rendering a major for days after its support ended, which is what the end of
 *     support must stop;
 *   - the receiver is never left guessing: every request names its version in `x-api-version`,
 *     and the event `id` (`webhook-id`) is the same in every major, so a receiver that saw an
 *     attempt in the old major de-duplicates the retry in the new one.

 * The registry is a plain array so tests can inject one of test versions (`Config.apiVersions`);
 * every function takes it as its last argument.
 *
 * @example
 * const versions = rt.config.apiVersions;
 * const major = effectiveMajor(webhook.apiVersion, rt.clock.now(), versions); // 2 after 1 retired
 * headers['x-api-version'] = versionHeader(major, versions); // "2.0"
 */
export interface ApiVersion {
  major: number;
  /** Latest minor of this major: minor changes only add fields. */
  minor: number;
  /** ISO date (UTC midnight) or date-time the major was released. */
  releasedAt: string;
}

/** How long a major stays supported after the next one is released. */
export const SUPPORT_MONTHS = 6;

export const API_VERSIONS: readonly ApiVersion[] = [
  { major: 1, minor: 0, releasedAt: '2025-06-01' },
  { major: 2, minor: 0, releasedAt: '2026-10-01' },
];

export type VersionStatus = 'upcoming' | 'current' | 'deprecated' | 'retired';

/** One major as `GET /v1/versions` shows it. Times are ms since the epoch; null when not (yet) known. */
export interface VersionInfo {
  major: number;
  minor: number;
  /** `MAJOR.MINOR`, as sent in `x-api-version`. */
  version: string;
  status: VersionStatus;
  releasedAt: number;
  /** When the next major was (or is to be) released: this one's deprecation. */
  deprecatedAt: number | null;
  /** The first instant this major is no longer rendered: deprecation plus six months. */
  supportEndsAt: number | null;
}

/**
 * The last answer of {@link listVersions} per registry, and the span of time it holds for (from
 * the latest release or end of support at or before `now` to the next one after it): the
 * dispatcher asks for every delivery, and working it out each time was about 1% of its CPU.
 */
const answered = new WeakMap<readonly ApiVersion[], { from: number; until: number; list: readonly VersionInfo[] }>();

/** Every major with its status at `now`, oldest first. */
export function listVersions(now: number, versions: readonly ApiVersion[] = API_VERSIONS): readonly VersionInfo[] {
  const last = answered.get(versions);
  if (last && now >= last.from && now < last.until) return last.list;
  const list = Object.freeze(computeVersions(now, versions).map((v) => Object.freeze(v)));
  const changes = list.flatMap((v) => [v.releasedAt, v.deprecatedAt ?? Number.NaN, v.supportEndsAt ?? Number.NaN]).filter((t) => !Number.isNaN(t));
  const from = Math.max(Number.NEGATIVE_INFINITY, ...changes.filter((t) => t <= now));
  const until = Math.min(Number.POSITIVE_INFINITY, ...changes.filter((t) => t > now));
  answered.set(versions, { from, until, list });
  return list;
}

function computeVersions(now: number, versions: readonly ApiVersion[]): VersionInfo[] {
  const sorted = [...versions].sort((a, b) => a.major - b.major);
  const current = currentMajor(now, sorted);
  return sorted.map((v, i) => {
    const releasedAt = Date.parse(v.releasedAt);
    const next = sorted[i + 1];
    const deprecatedAt = next ? Date.parse(next.releasedAt) : null;
    const supportEndsAt = deprecatedAt === null ? null : addMonths(deprecatedAt, SUPPORT_MONTHS);
    let status: VersionStatus;
    if (releasedAt > now) status = 'upcoming';
    else if (v.major === current) status = 'current';
    else status = supportEndsAt !== null && now >= supportEndsAt ? 'retired' : 'deprecated';
    return { major: v.major, minor: v.minor, version: `${v.major}.${v.minor}`, status, releasedAt, deprecatedAt, supportEndsAt };
  });
}

/** The newest released major at `now`: what new webhooks are pinned to. */
export function currentMajor(now: number, versions: readonly ApiVersion[] = API_VERSIONS): number {
  let current = Math.min(...versions.map((v) => v.major));
  for (const v of versions) if (Date.parse(v.releasedAt) <= now && v.major > current) current = v.major;
  return current;
}

/** The status of `major` at `now`, or undefined when the registry does not know it. */
export function versionStatus(major: number, now: number, versions: readonly ApiVersion[] = API_VERSIONS): VersionStatus | undefined {
  return listVersions(now, versions).find((v) => v.major === major)?.status;
}

/** True when a webhook may be pinned to `major`, and a request may ask for it: released and not retired. */
export function isSupported(major: number, now: number, versions: readonly ApiVersion[] = API_VERSIONS): boolean {
  const status = versionStatus(major, now, versions);
  return status === 'current' || status === 'deprecated';
}

/**
 * Why a webhook may not be pinned to (or a request ask for) `major` at `now`, in words for an
 * error message; undefined when it may.
 *
 * @example unsupportedReason(3, now) // "API version 3 is not released until 2027-04-01; supported: 1, 2"
 */
export function unsupportedReason(major: number, now: number, versions: readonly ApiVersion[] = API_VERSIONS): string | undefined {
  const info = listVersions(now, versions).find((v) => v.major === major);
  const supported = `supported: ${supportedMajors(now, versions).join(', ')}`;
  if (!info) return `API version ${major} does not exist; ${supported}`;
  if (info.status === 'upcoming') return `API version ${major} is not released until ${isoDate(info.releasedAt)}; ${supported}`;
  if (info.status === 'retired') return `API version ${major} reached its end of support on ${isoDate(info.supportEndsAt!)}; ${supported}`;
  return undefined;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The majors a webhook may be pinned to at `now`, oldest first. */
export function supportedMajors(now: number, versions: readonly ApiVersion[] = API_VERSIONS): number[] {
  return listVersions(now, versions)
    .filter((v) => v.status === 'current' || v.status === 'deprecated')
    .map((v) => v.major);
}

/**
 * The major a delivery to a webhook pinned to `pinned` renders in at `now`: the pinned major
 * until its support ends, then (or when the registry does not know it) the current one. A pin to
 * an upcoming major (only possible by writing the row directly) is honoured: its renderer exists.
 */
export function effectiveMajor(pinned: number, now: number, versions: readonly ApiVersion[] = API_VERSIONS): number {
  const status = versionStatus(pinned, now, versions);
  return status === undefined || status === 'retired' ? currentMajor(now, versions) : pinned;
}

/** `MAJOR.MINOR` of a major, as sent in `x-api-version`. */
export function versionHeader(major: number, versions: readonly ApiVersion[] = API_VERSIONS): string {
  const v = versions.find((x) => x.major === major);
  return `${major}.${v?.minor ?? 0}`;
}

/**
 * `ms` plus `months` calendar months in UTC, the day clamped to the target month's length
 * (31 August + 6 months = 28 or 29 February), so "six months" means what a partner reads.
 */
export function addMonths(ms: number, months: number): number {
  const day = new Date(ms).getUTCDate();
  const target = new Date(ms);
  target.setUTCDate(1); // so the month moves first, without overflowing into the one after
  target.setUTCMonth(target.getUTCMonth() + months);
  const daysInTarget = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, daysInTarget));
  return target.getTime();
}
