// A fault to inject into a real `hearthook serve`: preloaded with `node --import <this file>`,
// which runs it on the main thread and again on the delivery thread (a worker started from a
// file inherits `--import`). On the delivery thread it throws an uncaught error once the file
// named by HEARTHOOK_TEST_CRASH_FILE exists, so a test chooses the moment from outside.
import { existsSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const trigger = process.env.HEARTHOOK_TEST_CRASH_FILE;
if (!isMainThread && trigger) {
  const timer = setInterval(() => {
    if (!existsSync(trigger)) return;
    clearInterval(timer);
    throw new Error('injected fault: the delivery thread crashes');
  }, 10);
  timer.unref();
}
