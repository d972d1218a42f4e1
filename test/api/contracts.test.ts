import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTRACT_TRANSITIONS, nextContractStatus } from '../../src/domain/contracts.js';
import { admin, startTestHearthook, type TestHearthook } from '../helpers/testRuntime.js';
import {
  actOnContract,
  closeContract,
  createGateway,
  createPartner,
  createWebhook,
  countRows,
  pair,
  type Partner,
  snapshot,
} from './fixtures.js';

interface ContractEvent {
  data: string;
  webhook_id: string;
  sequence: number;
}

describe('contracts', () => {
  let hh: TestHearthook;
  let partner: Partner;
  let gatewayId: string;
  let webhookId: string;
  beforeEach(async () => {
    hh = await startTestHearthook();
    partner = await createPartner(hh.app);
    gatewayId = (await createGateway(hh.app)).gatewayId;
    webhookId = (await createWebhook(hh.app, partner.apiKey, { eventTypes: ['CONTRACT_STATUS'] })).id;
  });
  afterEach(() => hh.close());

  /** The CONTRACT_STATUS deliveries queued so far, with their event data, oldest first. */
  const contractEvents = () =>
    hh.rt.store.all<ContractEvent>(
      `SELECT e.data, d.webhook_id, d.sequence FROM deliveries d JOIN events e ON e.id = d.event_id
        WHERE e.type = 'CONTRACT_STATUS' ORDER BY d.id`,
    );
  const dataOf = async () => (await contractEvents()).map((e) => JSON.parse(e.data));

  it('keeps the transition table small and one-way: only the listed moves are allowed', () => {
    expect(nextContractStatus('ACCEPT', 'PENDING')).toBe('ACTIVE');
    expect(nextContractStatus('REJECT', 'PENDING')).toBe('REJECTED');
    expect(nextContractStatus('REVOKE', 'ACTIVE')).toBe('REVOKED');
    expect(nextContractStatus('CLOSE', 'ACTIVE')).toBe('CLOSED');
    expect(nextContractStatus('ACCEPT', 'ACTIVE')).toBeUndefined();
    expect(nextContractStatus('REVOKE', 'PENDING')).toBeUndefined();
    expect(nextContractStatus('PAIR', 'ACTIVE')).toBeUndefined();
    expect(nextContractStatus('CLOSE', 'CLOSED')).toBeUndefined();
    expect(Object.keys(CONTRACT_TRANSITIONS).sort()).toEqual(['ACCEPT', 'CLOSE', 'PAIR', 'PAIR_ACCEPTED', 'REJECT', 'REVOKE']);
  });

  it('starts a pairing PENDING, and accepting it makes it ACTIVE with one CONTRACT_STATUS event', async () => {
    const pending = await pair(hh.app, gatewayId, partner.companyId, 'ERROR_NOTIFICATIONS');
    expect(pending).toMatchObject({ gatewayId, companyId: partner.companyId, status: 'PENDING', consent: 'ERROR_NOTIFICATIONS' });
    expect(await contractEvents()).toEqual([]);

    hh.clock.advance(60_000);
    const active = await actOnContract(hh.app, partner, gatewayId, 'ACCEPT');
    expect(active.status).toBe('ACTIVE');
    expect(active.updatedAt).toBe(new Date(hh.clock.now()).toISOString());
    const events = await contractEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ webhook_id: webhookId, sequence: 1 });
    expect(JSON.parse(events[0].data)).toEqual({ previousStatus: 'PENDING', status: 'ACTIVE', companyId: partner.companyId });
  });

  it('sends no CONTRACT_STATUS event for transitions that never touch ACTIVE', async () => {
    await pair(hh.app, gatewayId, partner.companyId);
    await actOnContract(hh.app, partner, gatewayId, 'REJECT'); // PENDING → REJECTED
    await closeContract(hh.app, gatewayId, partner.companyId); // REJECTED → CLOSED
    await pair(hh.app, gatewayId, partner.companyId); // CLOSED → PENDING (reopened)
    await closeContract(hh.app, gatewayId, partner.companyId); // PENDING → CLOSED
    expect(await contractEvents()).toEqual([]);
  });

  it('tells the company of REVOKE and of the owner closing an ACTIVE contract', async () => {
    await pair(hh.app, gatewayId, partner.companyId);
    await actOnContract(hh.app, partner, gatewayId, 'ACCEPT');
    await actOnContract(hh.app, partner, gatewayId, 'REVOKE');
    await pair(hh.app, gatewayId, partner.companyId); // REVOKED → PENDING: no event
    await actOnContract(hh.app, partner, gatewayId, 'ACCEPT');
    await closeContract(hh.app, gatewayId, partner.companyId);
    expect(await dataOf()).toEqual([
      { previousStatus: 'PENDING', status: 'ACTIVE', companyId: partner.companyId },
      { previousStatus: 'ACTIVE', status: 'REVOKED', companyId: partner.companyId },
      { previousStatus: 'PENDING', status: 'ACTIVE', companyId: partner.companyId },
      { previousStatus: 'ACTIVE', status: 'CLOSED', companyId: partner.companyId },
    ]);
    expect((await contractEvents()).map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
  });

  it('starts a pairing ACTIVE for an auto-accepting company, tells it, and wakes the dispatcher', async () => {
    const auto = await createPartner(hh.app, { name: 'Auto Co', autoAccept: true });
    await createWebhook(hh.app, auto.apiKey, { eventTypes: ['CONTRACT_STATUS'] });
    let woken = 0;
    hh.rt.store.onWork(() => woken++);
    const contract = await pair(hh.app, gatewayId, auto.companyId);
    expect(contract.status).toBe('ACTIVE');
    expect(await dataOf()).toEqual([{ previousStatus: null, status: 'ACTIVE', companyId: auto.companyId }]);
    expect(woken).toBe(1);
  });

  it('answers 409 naming the current state to a move the state does not allow, and changes nothing', async () => {
    await pair(hh.app, gatewayId, partner.companyId);
    const before = await snapshot(hh.rt);
    const revoke = await hh.app.inject({ method: 'PATCH', url: `/v1/contracts/${gatewayId}`, headers: partner.headers, payload: { action: 'REVOKE' } });
    expect(revoke.statusCode).toBe(409);
    expect(revoke.headers['content-type']).toContain('application/problem+json');
    expect(revoke.json().title).toBe('the contract is PENDING; REVOKE needs it to be ACTIVE');
    const again = await hh.app.inject({ method: 'POST', url: `/v1/admin/gateways/${gatewayId}/contracts`, headers: admin, payload: { companyId: partner.companyId, consent: 'MONITOR_AND_CONTROL' } });
    expect(again.statusCode).toBe(409);
    const ack = await hh.app.inject({ method: 'DELETE', url: `/v1/contracts/${gatewayId}`, headers: partner.headers });
    expect(ack.statusCode).toBe(409);
    expect(ack.json().title).toMatch(/PENDING/);
    expect(await snapshot(hh.rt)).toEqual(before);
  });

  it('lets the partner list and read its contracts, and acknowledge a CLOSED one, which removes it', async () => {
    await pair(hh.app, gatewayId, partner.companyId);
    const list = await hh.app.inject({ method: 'GET', url: '/v1/contracts', headers: partner.headers });
    expect(list.json().data).toMatchObject([{ gatewayId, status: 'PENDING' }]);
    await closeContract(hh.app, gatewayId, partner.companyId);
    const one = await hh.app.inject({ method: 'GET', url: `/v1/contracts/${gatewayId}`, headers: partner.headers });
    expect(one.json()).toMatchObject({ gatewayId, status: 'CLOSED' });
    const ack = await hh.app.inject({ method: 'DELETE', url: `/v1/contracts/${gatewayId}`, headers: partner.headers });
    expect(ack.statusCode).toBe(204);
    expect((await countRows(hh.rt)).contracts).toBe(0);
    const gone = await hh.app.inject({ method: 'GET', url: `/v1/contracts/${gatewayId}`, headers: partner.headers });
    expect(gone.statusCode).toBe(404);
  });

  it("answers 404 to another company's contract, whatever the verb, and changes nothing", async () => {
    await pair(hh.app, gatewayId, partner.companyId);
    const other = await createPartner(hh.app, { name: 'Other Co' });
    const before = await snapshot(hh.rt);
    const url = `/v1/contracts/${gatewayId}`;
    for (const req of [
      { method: 'GET' as const, url },
      { method: 'PATCH' as const, url, payload: { action: 'ACCEPT' } },
      { method: 'DELETE' as const, url },
    ]) {
      const res = await hh.app.inject({ ...req, headers: other.headers });
      expect(res.statusCode, req.method).toBe(404);
    }
    expect((await hh.app.inject({ method: 'GET', url: '/v1/contracts', headers: other.headers })).json().data).toEqual([]);
    expect(await snapshot(hh.rt)).toEqual(before);
  });

  it('lets the owner change the consent of a live contract but not of an ended one', async () => {
    await pair(hh.app, gatewayId, partner.companyId, 'ERROR_NOTIFICATIONS');
    const url = `/v1/admin/gateways/${gatewayId}/contracts/${partner.companyId}/consent`;
    const ok = await hh.app.inject({ method: 'PUT', url, headers: admin, payload: { consent: 'MONITOR_AND_CONTROL' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'PENDING', consent: 'MONITOR_AND_CONTROL' });
    await closeContract(hh.app, gatewayId, partner.companyId);
    const ended = await hh.app.inject({ method: 'PUT', url, headers: admin, payload: { consent: 'ERROR_NOTIFICATIONS' } });
    expect(ended.statusCode).toBe(409);
    const missing = await hh.app.inject({
      method: 'PUT',
      url: `/v1/admin/gateways/${gatewayId}/contracts/cmp_nobody/consent`,
      headers: admin,
      payload: { consent: 'ERROR_NOTIFICATIONS' },
    });
    expect(missing.statusCode).toBe(404);
  });
});
