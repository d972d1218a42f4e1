/**
 * Waits until `check` holds, polling every 50 ms; fails naming `what` after `ms`. Tests wait for
 * a condition this way, never for a fixed time.
 *
 * @example await until(() => receiver.received.length === 2, 'both deliveries');
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
