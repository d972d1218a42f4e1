import { type Command, InvalidArgumentError } from 'commander';
import type { TestSendResult } from '../api/partner/webhookTest.js';
import type { EventType } from '../domain/eventTypes.js';
import { badFlagsExitWithUsage, FAILED } from './exit.js';
import { apiMajor, eventTypes, partnerApiUrl, partnerConnectionFlags } from './partnerFlags.js';

/** What `POST /v1/webhooks/{id}/test` answers (its schema leaves out the body sent). */
type TestSendAnswer = Omit<TestSendResult, 'body'>;
/**
 * Adds `hearthook trigger <EVENT_TYPE> --webhook <id>` (like `stripe trigger`): Hearthook sends a
 * signed test event of that type to the webhook's real endpoint now, through the test-send API
 * (`POST /v1/webhooks/{id}/test`: gateway `000000000`, sequence 0, `"test": true`, nothing
 * stored), and this prints what the endpoint answered. Exits 0 when the endpoint answered 2xx,
 * 1 when it did not or Hearthook refused (a refused key, a webhook not yours or not subscribed to
 * the type), 2 on a bad flag.
 *
 * @example
 * hearthook trigger DATA_POINT --webhook wh_… --target https://hearthook.example --api-key $KEY
 * # DATA_POINT evt_… (API major 2) → https endpoint of wh_… answered 200 in 41 ms: ok
 */
export function triggerCommand(program: Command): void {
  partnerConnectionFlags(badFlagsExitWithUsage(program.command('trigger')))
    .description("send a signed test event of EVENT_TYPE to a webhook's endpoint now, and print its answer")
    .argument('<EVENT_TYPE>', 'one of the types the webhook is subscribed to', oneEventType)
    .requiredOption('--webhook <id>', 'the webhook (wh_…) to send to')
    .option('--api-version <major>', "render in this major instead of the webhook's own", apiMajor)
    .action(async (eventType: EventType, opts) => {
      try {
        const answer = await trigger(opts.target, opts.apiKey, opts.webhook, eventType, opts.apiVersion);
        process.stdout.write(`${describeAnswer(opts.webhook, answer)}\n`);
        if (answer.statusCode === null || answer.statusCode < 200 || answer.statusCode > 299) process.exitCode = FAILED;
      } catch (err) {
        if (!(err instanceof TriggerError)) throw err;
        process.stderr.write(`hearthook trigger: ${err.message}\n`);
        process.exitCode = FAILED;
      }
    });
}

/** Hearthook could not be asked, or refused: printed, exit 1. */
class TriggerError extends Error {}

async function trigger(target: URL, apiKey: string, webhookId: string, eventType: EventType, major?: number): Promise<TestSendAnswer> {
  const url = partnerApiUrl(target, `webhooks/${encodeURIComponent(webhookId)}/test`);
  url.searchParams.set('eventType', eventType);
  if (major !== undefined) url.searchParams.set('apiVersion', String(major));
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'x-api-key': apiKey } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new TriggerError(`cannot reach Hearthook at ${target.origin}: ${cause}`);
  }
  const text = await res.text();
  if (res.status === 401) throw new TriggerError('the API key was refused (401): check --api-key');
  if (!res.ok) {
    const title = parseTitle(text);
    const hint = res.status === 404 && title?.startsWith('no route') ? ' (is --target a Hearthook?)' : '';
    throw new TriggerError(`Hearthook answered ${res.status}${hint}: ${title ?? text.slice(0, 300)}`);
  }
  return JSON.parse(text) as TestSendAnswer;
}

function describeAnswer(webhookId: string, a: TestSendAnswer): string {
  const sent = `${a.eventType} ${a.eventId} (API major ${a.apiVersion}) → the endpoint of ${webhookId}`;
  if (a.statusCode === null) return `${sent} could not be reached: ${a.error}`;
  const body = a.responseBody ? `: ${a.responseBody.replace(/\s+/g, ' ').slice(0, 200)}` : '';
  return `${sent} answered ${a.statusCode} in ${a.durationMs} ms${body}`;
}

function parseTitle(text: string): string | undefined {
  try {
    const title = (JSON.parse(text) as { title?: unknown }).title;
    return typeof title === 'string' ? title : undefined;
  } catch {
    return undefined;
  }
}

function oneEventType(text: string): EventType {
  const types = eventTypes(text);
  if (types.length !== 1) throw new InvalidArgumentError('one event type, such as DATA_POINT');
  return types[0];
}
