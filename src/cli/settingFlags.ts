import { InvalidArgumentError, Option } from 'commander';
import type { Config } from '../config/config.js';
import { flagOf, SETTINGS, type Setting } from '../config/settings.js';

/**
 * The flag of one row of the config table, e.g. `--delivery-timeout <duration>`, with the
 * variable and default in its help line. A bad value names the flag and what is wrong.
 *
 * @example command.addOption(settingFlag('database'))
 */
export function settingFlag(key: keyof Config): Option {
  const setting = SETTINGS.find((s) => s.key === key);
  if (!setting) throw new Error(`no setting ${key} in the config table`);
  return optionOf(setting);
}

/** Every row of the config table as a flag: `hearthook serve` takes them all. */
export function allSettingFlags(): Option[] {
  return SETTINGS.map(optionOf);
}

/** The `Config` values the flags on the command line set (undefined ones are left out). */
export function settingsFromFlags(opts: Record<string, unknown>): Partial<Config> {
  const overrides: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const value = opts[optionOf(setting).attributeName()];
    if (value !== undefined) overrides[setting.key] = value;
  }
  return overrides as Partial<Config>;
}

function optionOf(setting: Setting): Option {
  const shown = setting.default ?? setting.unset ?? 'none';
  const option = new Option(
    `${flagOf(setting)}${setting.kind.arg ? ` ${setting.kind.arg}` : ''}`,
    `${setting.help} (${setting.env}; default: ${shown})`,
  );
  if (!setting.kind.arg) return option;
  return option.argParser((text: string) => {
    try {
      return setting.kind.parse(text);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  });
}
