import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

interface Operation {
  tags?: string[];
  summary?: string;
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, unknown> }>;
  requestBody?: unknown;
}

describe('the OpenAPI document', () => {
  let hh: TestHearthook;
  let paths: Record<string, Record<string, Operation>>;
  beforeAll(async () => {
    hh = await startTestHearthook();
    paths = (await hh.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
  });
  afterAll(() => hh.close());

  const routes: Array<[string, string, string]> = [
    ['post', '/v1/admin/companies', 'adminToken'],
    ['post', '/v1/admin/companies/{companyId}/api-keys', 'adminToken'],
    ['post', '/v1/admin/gateways', 'adminToken'],
    ['post', '/v1/admin/gateways/{gatewayId}/contracts', 'adminToken'],
    ['put', '/v1/admin/gateways/{gatewayId}/contracts/{companyId}/consent', 'adminToken'],
    ['delete', '/v1/admin/gateways/{gatewayId}/contracts/{companyId}', 'adminToken'],
    ['get', '/v1/api-keys/me', 'partnerKey'],
    ['post', '/v1/api-keys', 'partnerKey'],
    ['get', '/v1/contracts', 'partnerKey'],
    ['get', '/v1/contracts/{gatewayId}', 'partnerKey'],
    ['patch', '/v1/contracts/{gatewayId}', 'partnerKey'],
    ['delete', '/v1/contracts/{gatewayId}', 'partnerKey'],
    ['post', '/v1/webhooks', 'partnerKey'],
    ['get', '/v1/webhooks', 'partnerKey'],
    ['get', '/v1/webhooks/{id}', 'partnerKey'],
    ['patch', '/v1/webhooks/{id}', 'partnerKey'],
    ['delete', '/v1/webhooks/{id}', 'partnerKey'],
    ['get', '/v1/webhooks/{id}/deliveries', 'partnerKey'],
    ['get', '/v1/deliveries/{id}', 'partnerKey'],
  ];

  it.each(routes)('documents %s %s with a tag, a summary, its security and problem+json errors', (method, path, scheme) => {
    const op = paths[path]?.[method];
    expect(op, `${method} ${path}`).toBeDefined();
    expect(op.tags?.length).toBeGreaterThan(0);
    expect(op.summary).toBeTruthy();
    expect(op.security).toEqual([{ [scheme]: [] }]);
    expect(op.responses['401'].content).toHaveProperty(['application/problem+json']);
  });

  it('documents the registration body with its required fields and the event type enum', () => {
    const body = paths['/v1/webhooks'].post.requestBody as {
      content: Record<string, { schema: { required: string[]; properties: Record<string, { items?: { enum?: string[] } }> } }>;
    };
    const schema = body.content['application/json'].schema;
    expect(schema.required).toEqual(['url', 'apiKeyName', 'apiKeyLocation', 'apiKey', 'eventTypes']);
    expect(schema.properties.eventTypes.items?.enum).toContain('CONTRACT_STATUS');
  });
});
