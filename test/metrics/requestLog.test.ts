import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLog } from '../helpers/logCapture.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';

describe('request logs', () => {
  let hh: TestHearthook;
  let lines: Record<string, unknown>[];
  beforeEach(async () => {
    const capture = captureLog();
    lines = capture.lines;
    hh = await startTestHearthook({}, { log: capture.log });
  });
  afterEach(() => hh.close());

  const completed = () => lines.filter((l) => l.msg === 'request completed');

  it('keeps an incoming x-request-id, echoes it, and logs one line with it and an ISO time', async () => {
    const res = await hh.app.inject({ method: 'GET', url: '/v1/admin/webhooks?status=failing', headers: { ...admin, 'x-request-id': 'lb-7f3a.42' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('lb-7f3a.42');
    expect(completed()).toHaveLength(1);
    const [line] = completed();
    expect(line).toMatchObject({ reqId: 'lb-7f3a.42', method: 'GET', path: '/v1/admin/webhooks', statusCode: 200, level: 30 });
    expect(line.time).toBe(new Date(line.time as string).toISOString());
  });

  it('makes a new id when none comes, or when the incoming one is not a plausible id', async () => {
    const fresh = await hh.app.inject({ method: 'GET', url: '/v1/versions' });
    const forged = await hh.app.inject({ method: 'GET', url: '/v1/versions', headers: { 'x-request-id': 'a b\u0000"}{' } });
    const long = await hh.app.inject({ method: 'GET', url: '/v1/versions', headers: { 'x-request-id': 'x'.repeat(129) } });
    const ids = [fresh, forged, long].map((r) => r.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(3);
    expect(completed().map((l) => l.reqId)).toEqual(ids);
  });

  it('echoes the id on errors too, and logs probes at debug only', async () => {
    const denied = await hh.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-request-id': 'probe-1' } });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['x-request-id']).toBe('probe-1');
    const missing = await hh.app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'lost-1' } });
    expect(missing.headers['x-request-id']).toBe('lost-1');
    await hh.app.inject({ method: 'GET', url: '/ready' });
    expect(completed().map((l) => [l.reqId, l.statusCode])).toEqual([['lost-1', 404]]);
  });
});
