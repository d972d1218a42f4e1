import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig } from '../../src/config/config.js';
import { flagOf, SETTINGS } from '../../src/config/settings.js';
import { CLI } from '../helpers/hearthookProcess.js';

const readme = readFileSync('README.md', 'utf8');

describe('the config table', () => {
  it('has a README row for every HEARTHOOK_ variable, with the default the table gives', () => {
    for (const setting of SETTINGS) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${setting.env}\` |`));
      expect(row, `README row for ${setting.env}`).toBeDefined();
      if (setting.default !== undefined) expect(row).toContain(`| \`${setting.default}\` |`);
    }
  });

  it('gives `hearthook serve` a flag for every variable, with its default in --help', () => {
    // Help wraps at 80 columns when not on a terminal: one flag's entry runs to the next flag.
    const help = execFileSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    for (const setting of SETTINGS) {
      const start = help.indexOf(` ${flagOf(setting)} `);
      expect(start, `${flagOf(setting)} in serve --help`).toBeGreaterThan(0);
      const line = help.slice(start + 1, help.indexOf(' --', start + 1));
      expect(line).toContain(setting.env);
      expect(line).toContain(`default: ${setting.default ?? setting.unset ?? 'none'}`);
    }
  });

  it('reads every default through the same parser as the environment', () => {
    expect(DEFAULTS.deliveryTimeoutMs).toBe(15_000);
    expect(DEFAULTS.retrySchedule).toHaveLength(10);
    expect(DEFAULTS.maxInFlight).toBe(256);
    expect(loadConfig({ HEARTHOOK_MAX_IN_FLIGHT: '12', HEARTHOOK_ALLOW_HTTP: 'yes' })).toMatchObject({ maxInFlight: 12, allowHttp: true });
    expect(loadConfig({ HEARTHOOK_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,loopback' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'loopback']);
  });

  it.each([
    ['HEARTHOOK_MAX_IN_FLIGHT', '0'],
    ['HEARTHOOK_ENDPOINT_MAX_IN_FLIGHT', '0'],
    ['HEARTHOOK_CLAIM_BATCH_SIZE', '0'],
    ['HEARTHOOK_DELIVERY_TIMEOUT', '0s'],
    ['HEARTHOOK_DELIVERY_TIMEOUT', '15'],
    ['HEARTHOOK_POLL_INTERVAL', '1000'],
    ['HEARTHOOK_RETRY_SCHEDULE', '0s,5'],
    ['HEARTHOOK_LOG_LEVEL', 'loud'],
    ['HEARTHOOK_PORT', '70000'],
    ['HEARTHOOK_ALLOW_HTTP', 'maybe'],
    ['HEARTHOOK_MQTT_URL', 'http://broker:1883'],
    ['HEARTHOOK_MQTT_URL', 'broker:1883'],
    ['HEARTHOOK_MQTT_BATCH_SIZE', '0'],
    ['HEARTHOOK_TRUST_PROXY', '10.0.0.0/8,proxy.internal'],
    ['HEARTHOOK_TRUST_PROXY', 'true'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });
});
