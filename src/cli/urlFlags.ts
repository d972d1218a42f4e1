import { InvalidArgumentError } from 'commander';

/**
 * Commander parser of a flag that takes an http(s) URL (`--target`, `--forward-to`): a bad one
 * stops the command naming the flag, before anything is sent.
 */
export function httpUrl(text: string): URL {
  return urlOf(text, ['http:', 'https:'], 'http://localhost:8080');
}

/** Commander parser of a broker URL flag (`simulate --mqtt`). */
export function mqttUrl(text: string): URL {
  return urlOf(text, ['mqtt:', 'mqtts:'], 'mqtt://127.0.0.1:1883');
}

function urlOf(text: string, protocols: readonly string[], example: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`must be a URL such as ${example}`);
  }
  if (!protocols.includes(url.protocol)) throw new InvalidArgumentError(`must be an ${protocols.map((p) => `${p}//`).join(' or ')} URL`);
  return url;
}
