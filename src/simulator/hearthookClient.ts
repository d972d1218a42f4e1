import type { RawMessage } from '../ingest/messageSchema.js';
import type { SimGateway } from './fleet.js';

/** What `POST /v1/ingest` answered for a batch. */
export interface IngestAnswer {
  accepted: number;
  duplicates: number;
  events: number;
}

/** A call Hearthook refused, with its status and problem title. */
export class CallError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly fields: string[],
  ) {
    super(`HTTP ${status}: ${title}`);
  }
}

const TIMEOUT_MS = 30_000;

/**
 * The few Hearthook calls the simulator makes, over HTTP as a real gateway fleet and operator
 * would: register a gateway, pair it, ingest a batch.
 *
 * @example
 * const client = new HearthookClient(new URL('http://localhost:8080'), ingestToken, adminToken);
 * await client.ingest([{ kind: 'heartbeat', gatewayId: '900000001' }]);
 */
export class HearthookClient {
  constructor(
    private readonly target: URL,
    private readonly ingestToken: string,
    private readonly adminToken?: string,
  ) {}

  /** Registers a gateway; false when it was registered before (409). */
  async registerGateway(g: SimGateway): Promise<boolean> {
    const res = await this.call('POST', '/v1/admin/gateways', this.adminToken, { gatewayId: g.id, type: g.type, timezone: g.timezone });
    if (res.status === 409) return false;
    await expectOk(res);
    return true;
  }

  /** The owner pairs the gateway with a company; the contract's status, or undefined when already paired (409). */
  async pair(gatewayId: string, companyId: string): Promise<string | undefined> {
    const res = await this.call('POST', `/v1/admin/gateways/${gatewayId}/contracts`, this.adminToken, {
      companyId,
      consent: 'MONITOR_AND_CONTROL',
    });
    if (res.status === 409) return undefined;
    return ((await expectOk(res)) as { status: string }).status;
  }

  /** Sends one batch of messages; resolves with Hearthook's counts once it is committed (202). */
  async ingest(messages: readonly RawMessage[]): Promise<IngestAnswer> {
    return (await expectOk(await this.call('POST', '/v1/ingest', this.ingestToken, messages))) as IngestAnswer;
  }

  private call(method: string, path: string, token: string | undefined, body: unknown): Promise<Response> {
    return fetch(new URL(path, this.target), {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  }
}

async function expectOk(res: Response): Promise<unknown> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: the title below says what came back
  }
  if (res.ok) return body;
  const errors = Array.isArray(body.errors) ? (body.errors as Array<{ field: string; message: string }>) : [];
  throw new CallError(res.status, typeof body.title === 'string' ? body.title : text.slice(0, 200), errors.map((e) => `${e.field} ${e.message}`));
}
