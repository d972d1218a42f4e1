import { type Command, InvalidArgumentError, Option } from 'commander';
import { EVENT_TYPES, type EventType } from '../domain/eventTypes.js';
import { unsupportedReason } from '../versions/registry.js';
import { httpUrl } from './urlFlags.js';

/**
 * The flags every partner command (`listen`, `trigger`) needs to reach a Hearthook as a partner:
 * `--target` (named as `simulate` names it) and `--api-key` (or `HEARTHOOK_API_KEY`, which keeps
 * the key out of the process list).
 */
export function partnerConnectionFlags(command: Command): Command {
  return command
    .requiredOption('--target <url>', 'base URL of Hearthook, e.g. https://hearthook.example', httpUrl)
    .addOption(new Option('--api-key <key>', 'your partner API key (xHCSAPI…)').env('HEARTHOOK_API_KEY').makeOptionMandatory());
}

/** `<target>/v1/<path>`, whether or not the target URL ends in a slash (Hearthook behind a path prefix). */
export function partnerApiUrl(target: URL, path: string): URL {
  const base = target.pathname.endsWith('/') ? target : new URL(`${target.href}/`);
  return new URL(`v1/${path}`, base);
}

/** Parses `--api-version`: a major this package can render and that is supported today. */
export function apiMajor(text: string): number {
  const major = Number(text);
  const reason = /^\d+$/.test(text) ? unsupportedReason(major, Date.now()) : `"${text}" is not a major such as 2`;
  if (reason) throw new InvalidArgumentError(reason);
  return major;
}

/** Parses one event type (`trigger`'s argument) or a comma-separated list (`listen --events`). */
export function eventTypes(text: string): EventType[] {
  const types = text.split(',').map((t) => t.trim());
  const unknown = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown event type ${unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')}`);
  return types as EventType[];
}
