import { startHarness } from '../recovery/harness.js';
import type { FastifyInstance } from 'fastify';

/** A browser-like session against the console through `app.inject`: cookies kept, CSRF token read from pages. */
export class ConsoleSession {
  cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly app: FastifyInstance) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(setCookie: string | string[] | undefined): void {
    for (const line of [setCookie ?? []].flat()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (/Max-Age=0/.test(line) || value === '') this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
  }

  async get(url: string, headers: Record<string, string> = {}) {
    const res = await this.app.inject({ method: 'GET', url, headers: { accept: 'text/html', cookie: this.cookieHeader(), ...headers } });
    this.keep(res.headers['set-cookie']);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (token) this.csrf = token[1];
    return res;
  }

  async post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await this.app.inject({
      method: 'POST',
      url,
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader(), ...headers },
      payload: new URLSearchParams(form).toString(),
    });
    this.keep(res.headers['set-cookie']);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (token) this.csrf = token[1];
    return res;
  }

  /**
   * Signs in with an API key or the admin token and opens the page it lands on (which holds the
   * session's CSRF token); returns the sign-in answer (303 when it worked).
   */
  async signIn(credential: string) {
    await this.get('/console/sign-in');
    const res = await this.post('/console/sign-in', { _csrf: this.csrf, credential });
    if (res.statusCode === 303) await this.get(String(res.headers.location));
    return res;
  }
}

/**
 * A harness (test/recovery/harness.ts) with one partner signed in to the console, for the tests
 * of the partner's pages and actions.
 */
export async function startSignedInPartner(overrides: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(overrides);
  const partner = await h.partner();
  const session = new ConsoleSession(h.hh.app);
  const signedIn = await session.signIn(partner.headers['x-api-key']);
  if (signedIn.statusCode !== 303) throw new Error(`sign-in answered ${signedIn.statusCode}`);
  return { h, partner, session };
}
