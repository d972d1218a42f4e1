import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

/**
 * Debian's chromium, headless. Missing, the browser tests fail (CI installs it with apt): a
 * console whose pages were never opened in a browser is not tested. Playwright's `launch` gives
 * the browser a new, empty --user-data-dir of its own.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the console's browser tests`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core in the page; fails on any serious or critical violation, naming each. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected into the page as a global.
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  expect(violations, `axe on ${what}`).toEqual([]);
}

/** Collects every console error and uncaught exception of a page. */
export function watchErrors(page: Page, errors: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
}

/** Screenshots the page in the light and the dark theme, and checks it with axe in each. */
export async function capture(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // Charts redraw in the new theme's colours on the next frames.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${colorScheme}.png`), fullPage: true });
    await expectAccessible(page, `${name} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  expect(await layoutFaults(page), `layout of ${name}`).toEqual([]);
}

/**
 * What axe does not see of a page's layout, for the failure message (empty when none): a table
 * header cell not over its column (its left edge and width are its first row's cell's, in a table
 * laid out as one), a time wrapped inside itself, a filter control out of line with the others
 * (on a row of filters as wide as a desktop's), a table wider than its box on a desktop. Tables
 * whose header is hidden (stacked on a phone) have no columns to check.
 */
export function layoutFaults(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const faults: string[] = [];
    const label = (el: Element) => (el.textContent ?? '').trim().slice(0, 30);
    for (const table of document.querySelectorAll('table')) {
      const heads = [...table.querySelectorAll('thead tr:first-child th')];
      const cells = [...table.querySelectorAll('tbody tr:first-child td')];
      if (heads.length === 0 || cells.length === 0 || !(heads[0] as HTMLElement).offsetParent) continue;
      heads.forEach((th, i) => {
        const cell = cells[i];
        if (!cell || !(cell as HTMLElement).offsetParent) return;
        const h = th.getBoundingClientRect();
        const c = cell.getBoundingClientRect();
        if (Math.abs(h.left - c.left) > 1 || Math.abs(h.width - c.width) > 1) {
          faults.push(`header "${label(th)}" at x=${Math.round(h.left)} w=${Math.round(h.width)}, its column at x=${Math.round(c.left)} w=${Math.round(c.width)}`);
        }
      });
    }
    for (const time of document.querySelectorAll('td time')) {
      if (time.getClientRects().length > 1) faults.push(`time "${label(time)}" wraps`);
    }
    if (window.innerWidth >= 1000) {
      // On a desktop a table fits its card: a column past the edge (a row's Retry) is out of sight.
      for (const wrap of document.querySelectorAll('.table-wrap')) {
        if (wrap.scrollWidth > wrap.clientWidth + 1) faults.push(`table "${label(wrap.querySelector('th') ?? wrap)}" is ${wrap.scrollWidth}px wide in a ${wrap.clientWidth}px box`);
      }
      for (const filters of document.querySelectorAll('.filters')) {
        const controls = [...filters.querySelectorAll('label > input, label > select')].map((el) => [el, el.getBoundingClientRect()] as const);
        // Those on the first one's line (the row of filters wraps) share its top and bottom.
        const [first] = controls;
        for (const [el, box] of controls) {
          const sameLine = box.top < first[1].bottom && first[1].top < box.bottom;
          if (sameLine && (Math.abs(box.bottom - first[1].bottom) > 1 || Math.abs(box.top - first[1].top) > 1)) {
            faults.push(`filter "${label(el.parentElement!)}" at y=${Math.round(box.top)}..${Math.round(box.bottom)}, "${label(first[0].parentElement!)}" at y=${Math.round(first[1].top)}..${Math.round(first[1].bottom)}`);
          }
        }
      }
    }
    return faults;
  });
}

/**
 * Whether the page scrolls sideways in the viewport the test asked for (a phone page must not;
 * a wide table scrolls inside its own box): empty when it does not, else the elements that
 * stick out, for the failure message.
 */
export function widerThanViewport(page: Page): Promise<string[]> {
  // On a phone the page's own width grows with what sticks out: compare with the asked-for one.
  const width = page.viewportSize()?.width ?? 0;
  return page.evaluate((width) => {
    if (document.documentElement.scrollWidth <= width) return [];
    const out: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1) out.push(`${el.tagName.toLowerCase()}.${String(el.className).split(' ').join('.')} right=${Math.round(box.right)}`);
    }
    return out.slice(0, 20);
  }, width);
}
