/**
 * A registry of test versions and the instants that matter in it, for the API-version tests.
 * The test clock starts on 2026-06-01 12:00 UTC (testRuntime.ts): major 1 is current then,
 * major 2 is released a month later, and major 1's support ends six months after that.
 */
import type { ApiVersion } from '../../src/versions/registry.js';

export const TEST_VERSIONS: readonly ApiVersion[] = [
  { major: 1, minor: 0, releasedAt: '2026-01-01' },
  { major: 2, minor: 0, releasedAt: '2026-07-01' },
];

/** Major 2's release: major 1 is deprecated from here. */
export const V2_RELEASE = Date.UTC(2026, 6, 1);
/** Between the release and the end of support: both majors are supported. */
export const DEPRECATION_WINDOW = Date.UTC(2026, 7, 15);
/** Major 1's end of support: six months after major 2's release. */
export const V1_SUPPORT_END = Date.UTC(2027, 0, 1);
