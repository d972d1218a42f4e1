import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestBatch, UnkeptMessageError } from '../../src/ingest/ingestBatch.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway, addPartner, GATEWAY } from './fixtures.js';

const heartbeat = (messageId: string) => ({ kind: 'heartbeat' as const, gatewayId: GATEWAY, messageId });
const count = async (hh: TestHearthook, table: string) => Number((await hh.rt.store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n);

// ingestBatch is called directly: the HTTP and MQTT validators refuse such ids earlier (400), and
// this is the guard behind them, for every channel that feeds the batch.
describe('ingest never acknowledges a message it did not keep', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook();
    await addGateway(hh.rt);
    await addPartner(hh.rt);
  });
  afterEach(() => hh.close());

  it.each([
    ['a lone surrogate', '\ud83d-x'],
    ['a NUL', 'a\u0000b'],
  ])('fails the whole batch on a messageId with %s, storing nothing of it', async (_, id) => {
    await expect(ingestBatch(hh.rt, [heartbeat('fine-1'), heartbeat(id)], 'http')).rejects.toThrow(UnkeptMessageError);
    await expect(ingestBatch(hh.rt, [heartbeat(id)], 'http')).rejects.toThrow(/message 0 has a messageId the database would not store as sent/);
    expect(await count(hh, 'ingested_messages')).toBe(0);
    expect(await count(hh, 'events')).toBe(0);
  });

  it('never calls a new message a resend because its id is stored like an earlier one', async () => {
    // U+FFFD is what SQLite stores for the lone surrogate: the guard would see "already sent".
    expect(await ingestBatch(hh.rt, [heartbeat('\ufffd-x')], 'http')).toEqual({ accepted: 1, duplicates: 0, events: 1 });
    await expect(ingestBatch(hh.rt, [{ kind: 'connection', gatewayId: GATEWAY, status: 'DISCONNECTED', messageId: '\ud83d-x' }], 'http')).rejects.toThrow(
      UnkeptMessageError,
    );
    expect(await count(hh, 'events')).toBe(1);
  });

  it('still skips true resends, within a batch and across batches', async () => {
    expect(await ingestBatch(hh.rt, [heartbeat('r1'), heartbeat('r1'), heartbeat('😀 r2')], 'http')).toEqual({ accepted: 2, duplicates: 1, events: 1 });
    expect(await ingestBatch(hh.rt, [heartbeat('😀 r2'), heartbeat('r3')], 'http')).toEqual({ accepted: 1, duplicates: 1, events: 0 });
  });
});
