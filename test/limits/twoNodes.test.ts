import { afterEach, describe, expect, it } from 'vitest';
import { createPartner } from '../api/fixtures.js';
import { startTwoNodes } from './twoNodes.js';

let nodes: Awaited<ReturnType<typeof startTwoNodes>> | undefined;
afterEach(async () => {
  await nodes?.close();
  nodes = undefined;
});

describe('rate limits across two nodes on one database', () => {
  it('gives a company spreading its requests over two nodes the limit of one', async () => {
    nodes = await startTwoNodes();
    const partner = await createPartner(nodes.a.app);
    const apps = [nodes.a.app, nodes.b.app];
    const answers: number[] = [];
    for (let i = 0; i < 10; i++) {
      answers.push((await apps[i % 2].inject({ method: 'GET', url: '/v1/webhooks', headers: partner.headers })).statusCode);
    }
    expect(answers).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    nodes.a.clock.advance(500);
    expect((await nodes.b.app.inject({ method: 'GET', url: '/v1/webhooks', headers: partner.headers })).statusCode).toBe(200);
    expect((await nodes.a.app.inject({ method: 'GET', url: '/v1/webhooks', headers: partner.headers })).statusCode).toBe(429);
  });

  it('counts failed authentications from one address on both nodes together', async () => {
    nodes = await startTwoNodes();
    const apps = [nodes.a.app, nodes.b.app];
    const answers: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await apps[i % 2].inject({ method: 'GET', url: '/v1/admin/webhooks', headers: { authorization: 'Bearer guess' }, remoteAddress: '192.0.2.1' });
      answers.push(res.statusCode);
    }
    expect(answers).toEqual([...Array(10).fill(401), 429, 429]);
  });
});
