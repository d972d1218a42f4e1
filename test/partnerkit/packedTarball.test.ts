/**
 * A partner's project: `hearthook/client` and `hearthook/receiver` from the tarball `npm pack`
 * makes (after the build `npm test` runs first), type-checked by tsc as a partner's own code
 * would be, and the receiver loaded by Node with nothing else installed (it imports nothing
 * from the server and no dependency).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'hearthook-partner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PARTNER_CODE = `
import { createHearthookClient, type components } from 'hearthook/client';
import { verify, parseEvent, SequenceTracker, type HearthookEvent, WebhookVerificationError } from 'hearthook/receiver';

const client = createHearthookClient({ baseUrl: 'https://hearthook.example', apiKey: 'xHCSAPIkey' });

export async function latestEvents(): Promise<string[]> {
  const { data, error } = await client.GET('/v1/events', { params: { query: { limit: 10, gatewayId: '101506113' } } });
  if (error) throw new Error(error.title);
  return data.data.map((e) => e.id);
}

export async function register(): Promise<string | undefined> {
  const { data } = await client.POST('/v1/webhooks', {
    body: { url: 'https://partner.example/hooks', apiKeyName: 'x-api-key', apiKeyLocation: 'HEADER', apiKey: 'k', eventTypes: ['DATA_POINT'] },
  });
  return data?.secret;
}

const tracker = new SequenceTracker<HearthookEvent>();
export async function handle(raw: string, headers: Record<string, string>): Promise<number> {
  try {
    await verify(raw, headers, ['whsec_AAAA']);
  } catch (err) {
    if (err instanceof WebhookVerificationError) return 401;
    throw err;
  }
  const event = parseEvent(raw, headers);
  await tracker.receive('wh_1', event, (e) => {
    if (e.major === 2 && e.type === 'CONNECTIVITY_STATUS') {
      const status: 'ONLINE' | 'OFFLINE' = e.body.data.connectivityStatus;
      console.log(status);
    }
  });
  return 204;
}

export type Webhook = components['schemas'] extends never ? never : unknown;
`;

it('compiles a partner project against the packed tarball, and loads the receiver with no dependency installed', { timeout: 300_000 }, () => {
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { stdio: 'pipe' });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  const pkg = join(dir, 'node_modules', 'hearthook');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', pkg, '--strip-components=1']);
  // The client's one runtime dependency, as npm would install it next to the package.
  symlinkSync(resolve('node_modules/openapi-fetch'), join(dir, 'node_modules', 'openapi-fetch'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'partner', type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, lib: ['ES2022', 'DOM'], types: [] }, include: ['partner.ts'] }),
  );
  writeFileSync(join(dir, 'partner.ts'), PARTNER_CODE);

  const tsc = (): string => {
    try {
      return execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    } catch (err) {
      return (err as { stdout: string }).stdout;
    }
  };
  expect(tsc()).toBe('');
  // The types are real: a wrong field fails to compile.
  writeFileSync(join(dir, 'partner.ts'), `${PARTNER_CODE}\nexport const wrong = client.GET('/v1/events', { params: { query: { limit: 'ten' } } });\n`);
  expect(tsc()).toMatch(/partner\.ts.*error TS2322/);

  const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', "const r = await import('hearthook/receiver'); console.log(Object.keys(r).sort().join(','))"], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(loaded.trim().split(',')).toEqual(expect.arrayContaining(['SequenceTracker', 'parseEvent', 'verify', 'catchUpGapFiller', 'SqliteSequenceStore']));
});
