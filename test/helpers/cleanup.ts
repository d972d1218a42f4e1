import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * What a test started (servers, receivers, temporary folders), undone after each test, last
 * first, even when the test failed.
 *
 * @example const cleanup = useCleanup(); const dir = cleanup.tempDir('hearthook-kill-'); cleanup.push(() => receiver.stop());
 */
export function useCleanup() {
  const undo: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of undo.splice(0).reverse()) await fn();
  });
  return {
    push(...fns: Array<() => unknown>): void {
      undo.push(...fns);
    },
    /** A new folder under the system's temporary folder, removed after the test. */
    tempDir(prefix: string): string {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      undo.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
  };
}
