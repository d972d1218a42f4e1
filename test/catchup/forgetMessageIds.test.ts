import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetOldMessageIds } from '../../src/scheduler/jobs/forgetOldMessageIds.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { addGateway, send } from '../ingest/fixtures.js';

const DAY = 86_400_000;

describe('forgetting old message ids', () => {
  let hh: TestHearthook;
  beforeEach(async () => {
    hh = await startTestHearthook({ retentionMs: 30 * DAY });
    await addGateway(hh.rt);
  });
  afterEach(() => hh.close());

  it('forgets ids older than the retention period and keeps recent ones de-duplicating', async () => {
    await send(hh, { kind: 'heartbeat', messageId: 'old' });
    hh.clock.advance(29 * DAY);
    await send(hh, { kind: 'heartbeat', messageId: 'recent' });
    hh.clock.advance(2 * DAY);

    expect(await forgetOldMessageIds(hh.rt)).toBe(1);
    expect(await send(hh, { kind: 'heartbeat', messageId: 'recent' })).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(await send(hh, { kind: 'heartbeat', messageId: 'old' })).toMatchObject({ accepted: 1, duplicates: 0 });
  });
});
