import { join } from 'node:path';
import { Eta } from 'eta';
import type { FastifyReply } from 'fastify';
import { packageRoot } from '../util/packageRoot.js';
import { packageVersion } from '../util/packageVersion.js';
import type { ConsoleSession } from './session.js';

/**
 * Templates in `src/console/views`, shipped with the package. Eta escapes every `<%= %>` (the
 * default); raw output (`<%~ %>`) is used only for other templates' output.
 */
const eta = new Eta({ views: join(packageRoot, 'src', 'console', 'views'), cache: true, autoEscape: true });

/**
 * No inline script or style, nothing from another origin, no framing: with escaping in the
 * templates, an injected tag would still not run.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Times as the console prints them: UTC, to the second. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

/** "3 min ago", "in 5 s" */
export function formatAgo(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return '—';
  const d = Math.abs(now - ms) / 1000;
  const text = d < 60 ? `${Math.round(d)} s` : d < 3600 ? `${Math.round(d / 60)} min` : d < 172_800 ? `${Math.round(d / 3600)} h` : `${Math.round(d / 86_400)} d`;
  return ms <= now ? `${text} ago` : `in ${text}`;
}

export interface PageData {
  title: string;
  session?: ConsoleSession;
  /** The nav entry to mark as current. */
  nav?: string;
  /** A one-off message above the page (after an action). */
  notice?: { kind: 'ok' | 'error'; text: string };
  /**
   * The page's own (GET) address when it answers a form's POST: console.js puts it in the address
   * bar, so a reload does not send the form again and the address opens the page later.
   */
  pageUrl?: string;
  [key: string]: unknown;
}

/** A fragment rendered by one template, e.g. a delivery row for the live log. */
export function renderPartial(view: string, data: object): string {
  return eta.render(view, { ...data, formatTime, formatAgo });
}

/** Sends a page: `view` inside the layout, with the console's security headers. */
export function sendPage(reply: FastifyReply, view: string, data: PageData, status = 200): FastifyReply {
  const html = eta.render(view, { version: packageVersion, ...data, formatTime, formatAgo });
  return reply.code(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(html);
}
