import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { receiverEventTypes } from '../../src/build/generatePartnerTypes.js';
import { type HearthookEvent, InvalidEventError, parseEvent } from '../../src/receiver/index.js';
import { renderV1, renderV2 } from '../../src/versions/renderEvent.js';

describe('receiver event types', () => {
  it('are what the published schemas generate: a change to a schema without a build fails here', async () => {
    const committed = readFileSync('src/receiver/eventTypes.generated.ts', 'utf8');
    expect(committed, 'run `npm run build` and commit src/receiver/eventTypes.generated.ts').toBe(await receiverEventTypes());
  });
});

describe('parseEvent', () => {
  const internal = {
    id: 'evt_1',
    type: 'DATA_POINT',
    gatewayId: '101506113',
    dataJson: JSON.stringify({ key: 'hvac.emon.compressor.powerCurrent', value: 1450, unit: 'W' }),
    occurredAt: null,
    createdAt: Date.UTC(2026, 5, 1),
  };

  it('reads a major 2 body as rendered for delivery, typed by major and type', () => {
    const body = renderV2(internal, { sequence: 7, languages: ['en'] });
    const event: HearthookEvent = parseEvent(body, { 'x-api-version': '2.0', 'webhook-id': 'evt_1', 'webhook-sequence': '7' });
    expect(event).toMatchObject({ major: 2, type: 'DATA_POINT', id: 'evt_1', gatewayId: '101506113', sequence: 7 });
    // Compiles only because the union narrows: body.data.value exists on DataPointV2 alone.
    if (event.major === 2 && event.type === 'DATA_POINT') expect(event.body.data.value).toBe(1450);
    else throw new Error('not narrowed');
  });

  it('reads a major 1 body with its id and sequence from the headers', () => {
    const body = renderV1(internal, { sequence: 7, languages: ['en'] });
    const event = parseEvent(Buffer.from(body), new Headers({ 'x-api-version': '1.0', 'webhook-id': 'evt_1', 'webhook-sequence': '7' }));
    expect(event).toMatchObject({ major: 1, type: 'DATA_POINT', id: 'evt_1', sequence: 7 });
    if (event.major === 1 && event.type === 'DATA_POINT') expect(event.body.eventType).toBe('DATA_POINT');
  });

  it('refuses what is not an event of a known major, naming what is wrong', () => {
    const headers = { 'x-api-version': '2.0', 'webhook-id': 'evt_1' };
    expect(() => parseEvent('{', headers)).toThrow(InvalidEventError);
    expect(() => parseEvent('{}', { 'x-api-version': '3.0' })).toThrow(/3.0/);
    expect(() => parseEvent({ type: 'NOPE', gatewayId: '1', data: {}, id: 'e' }, headers)).toThrow(/NOPE/);
    expect(() => parseEvent({ type: 'DATA_POINT', gatewayId: '1', id: 'e' }, headers)).toThrow(/data/);
    expect(() => parseEvent({ type: 'DATA_POINT', gatewayId: '1', data: {}, id: 'e', sequence: -1 }, headers)).toThrow(/sequence/);
  });
});
