import { describe, expect, it } from 'vitest';
import {
  addMonths,
  currentMajor,
  effectiveMajor,
  listVersions,
  supportedMajors,
  unsupportedReason,
  versionHeader,
} from '../../src/versions/registry.js';
import { DEPRECATION_WINDOW, TEST_VERSIONS, V1_SUPPORT_END, V2_RELEASE } from './testVersions.js';

const JUNE = Date.UTC(2026, 5, 1, 12);

describe('the version registry', () => {
  it('makes the newest released major current, and a major announced for later upcoming', () => {
    expect(currentMajor(JUNE, TEST_VERSIONS)).toBe(1);
    expect(listVersions(JUNE, TEST_VERSIONS).map((v) => v.status)).toEqual(['current', 'upcoming']);
    expect(currentMajor(V2_RELEASE, TEST_VERSIONS)).toBe(2);
  });

  it('deprecates the previous major at the next release and retires it six calendar months later', () => {
    const [v1] = listVersions(DEPRECATION_WINDOW, TEST_VERSIONS);
    expect(v1).toMatchObject({ status: 'deprecated', deprecatedAt: V2_RELEASE, supportEndsAt: V1_SUPPORT_END, version: '1.0' });
    expect(listVersions(V1_SUPPORT_END - 1, TEST_VERSIONS)[0].status).toBe('deprecated');
    expect(listVersions(V1_SUPPORT_END, TEST_VERSIONS).map((v) => v.status)).toEqual(['retired', 'current']);
  });

  it('renders a pinned major until its support ends, then the current one', () => {
    expect(effectiveMajor(1, DEPRECATION_WINDOW, TEST_VERSIONS)).toBe(1);
    expect(effectiveMajor(1, V1_SUPPORT_END - 1, TEST_VERSIONS)).toBe(1);
    expect(effectiveMajor(1, V1_SUPPORT_END, TEST_VERSIONS)).toBe(2);
    expect(effectiveMajor(7, JUNE, TEST_VERSIONS)).toBe(1); // unknown to the registry
  });

  it('says why a major cannot be pinned: unknown, not yet released, or past its support', () => {
    expect(unsupportedReason(2, JUNE, TEST_VERSIONS)).toBe('API version 2 is not released until 2026-07-01; supported: 1');
    expect(unsupportedReason(1, V1_SUPPORT_END, TEST_VERSIONS)).toBe('API version 1 reached its end of support on 2027-01-01; supported: 2');
    expect(unsupportedReason(99, DEPRECATION_WINDOW, TEST_VERSIONS)).toBe('API version 99 does not exist; supported: 1, 2');
    expect(unsupportedReason(1, DEPRECATION_WINDOW, TEST_VERSIONS)).toBeUndefined();
    expect(supportedMajors(DEPRECATION_WINDOW, TEST_VERSIONS)).toEqual([1, 2]);
  });

  it('names a major with its latest minor in x-api-version', () => {
    expect(versionHeader(2, [...TEST_VERSIONS.slice(0, 1), { major: 2, minor: 3, releasedAt: '2026-07-01' }])).toBe('2.3');
  });

  it('counts six months in calendar months, clamping to the end of a shorter month', () => {
    expect(new Date(addMonths(Date.UTC(2026, 7, 31), 6)).toISOString()).toBe('2027-02-28T00:00:00.000Z');
    expect(new Date(addMonths(Date.UTC(2027, 7, 31, 9, 30), 6)).toISOString()).toBe('2028-02-29T09:30:00.000Z');
    expect(new Date(addMonths(Date.UTC(2026, 9, 1), 6)).toISOString()).toBe('2027-04-01T00:00:00.000Z');
  });
});
