import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/domain/eventTypes.js';
import { eventSchemas } from '../../src/versions/schemas/eventSchemas.js';
import { createPartner, createWebhook, type Partner } from '../api/fixtures.js';
import { Receiver } from '../helpers/receiver.js';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import { DEPRECATION_WINDOW, TEST_VERSIONS } from './testVersions.js';

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
formats.default(ajv);

describe('trying a newer major before opting in: POST /v1/webhooks/{id}/test?apiVersion=', () => {
  let hh: TestHearthook;
  let receiver: Receiver;
  let partner: Partner;
  beforeEach(async () => {
    hh = await startTestHearthook({ apiVersions: TEST_VERSIONS });
    receiver = await new Receiver().start();
    partner = await createPartner(hh.app);
  });
  afterEach(async () => {
    await receiver.stop();
    await hh.close();
  });

  it('sends a webhook pinned to major 1 a test event in major 2, valid against its published schema, and leaves the pin alone', async () => {
    const webhook = await createWebhook(hh.app, partner.apiKey, { url: receiver.url });
    expect(webhook.apiVersion).toBe(1);
    hh.clock.set(DEPRECATION_WINDOW);
    for (const [i, eventType] of EVENT_TYPES.entries()) {
      const res = await hh.app.inject({
        method: 'POST',
        url: `/v1/webhooks/${webhook.id}/test?apiVersion=2&eventType=${eventType}`,
        headers: partner.headers,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ statusCode: 200, apiVersion: 2, eventType });
      const received = receiver.received[i];
      expect(received.headers['x-api-version']).toBe('2.0');
      const validate = ajv.compile(eventSchemas(2)![eventType]);
      expect(validate(JSON.parse(received.body)), `${eventType}: ${ajv.errorsText(validate.errors)} in ${received.body}`).toBe(true);
    }
    const after = await hh.app.inject({ method: 'GET', url: `/v1/webhooks/${webhook.id}`, headers: partner.headers });
    expect(after.json().apiVersion).toBe(1);
  });

  it('refuses to preview a major that does not exist or is not released, naming the query field', async () => {
    const webhook = await createWebhook(hh.app, partner.apiKey, { url: receiver.url });
    for (const apiVersion of [99, 2]) { // 2 is not released at the test clock's start
      const res = await hh.app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/test?apiVersion=${apiVersion}`, headers: partner.headers });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].field).toBe('/querystring/apiVersion');
    }
    expect(receiver.received).toHaveLength(0);
  });
});
