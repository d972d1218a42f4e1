/**
 * Building blocks for tests that need companies, keys, gateways, contracts and webhooks. Each
 * goes through the public API (`app.inject`), so fixtures obey the same rules users do, and
 * each throws with the server's answer when the call does not succeed.
 *
 * @example
 * const partner = await createPartner(hh.app);
 * const gw = await createGateway(hh.app);
 * await pairActive(hh.app, gw.gatewayId, partner);
 * const webhook = await createWebhook(hh.app, partner.apiKey, { eventTypes: ['DATA_POINT'] });
 */
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../src/runtime.js';
import { admin } from '../helpers/testRuntime.js';

/** The registration object exactly as the reference page shows it. */
export const PAGE_REGISTRATION = {
  url: 'http://partner.backend/',
  apiKeyName: 'x-api-key',
  apiKeyLocation: 'HEADER',
  apiKey: 'XXX',
} as const;

export interface Company {
  id: string;
  name: string;
  languages: string[];
  autoAccept: boolean;
  createdAt: string;
}

export interface Partner {
  companyId: string;
  apiKey: string;
  headers: { 'x-api-key': string };
}

export interface Gateway {
  gatewayId: string;
  type: string;
  timezone: string;
  createdAt: string;
}

export interface Contract {
  gatewayId: string;
  companyId: string;
  status: string;
  consent: string;
  createdAt: string;
  updatedAt: string;
}

export interface Webhook {
  id: string;
  url: string;
  apiKeyName: string;
  apiKeyLocation: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  apiVersion: number;
  createdAt: string;
  updatedAt: string;
  secret?: string;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One API call that must answer `expected`; returns the parsed body. */
export async function expectCall<T>(
  app: FastifyInstance,
  method: Method,
  url: string,
  headers: Record<string, string>,
  payload: unknown,
  expected: number,
): Promise<T> {
  const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  if (res.statusCode !== expected) {
    throw new Error(`${method} ${url} answered ${res.statusCode}, expected ${expected}: ${res.body}`);
  }
  return (res.body ? res.json() : undefined) as T;
}

/** `x-api-key` headers for a key. */
export function partnerHeaders(apiKey: string): { 'x-api-key': string } {
  return { 'x-api-key': apiKey };
}

/** A company (operator API); languages `['en']` unless overridden. */
export function createCompany(app: FastifyInstance, overrides: Partial<Omit<Company, 'id' | 'createdAt'>> = {}): Promise<Company> {
  return expectCall(app, 'POST', '/v1/admin/companies', admin, { name: 'Test Heating Ltd', languages: ['en'], ...overrides }, 201);
}

/** A new API key for a company (operator API); returns the key itself. */
export async function createApiKey(app: FastifyInstance, companyId: string): Promise<string> {
  const key = await expectCall<{ apiKey: string }>(app, 'POST', `/v1/admin/companies/${companyId}/api-keys`, admin, undefined, 201);
  return key.apiKey;
}

/** A company with one API key, ready to call the partner API. */
export async function createPartner(app: FastifyInstance, overrides: Partial<Omit<Company, 'id' | 'createdAt'>> = {}): Promise<Partner> {
  const company = await createCompany(app, overrides);
  const apiKey = await createApiKey(app, company.id);
  return { companyId: company.id, apiKey, headers: partnerHeaders(apiKey) };
}

let nextGatewayId = 101506113;

/** A gateway with a fresh digit id (operator API); type ICOM in Europe/Berlin unless overridden. */
export function createGateway(app: FastifyInstance, overrides: Partial<Omit<Gateway, 'createdAt'>> = {}): Promise<Gateway> {
  const body = { gatewayId: String(nextGatewayId++), type: 'ICOM', timezone: 'Europe/Berlin', ...overrides };
  return expectCall(app, 'POST', '/v1/admin/gateways', admin, body, 201);
}

/** The owner pairs a gateway with a company (operator API): PENDING unless it auto-accepts. */
export function pair(app: FastifyInstance, gatewayId: string, companyId: string, consent = 'MONITOR_AND_CONTROL'): Promise<Contract> {
  return expectCall(app, 'POST', `/v1/admin/gateways/${gatewayId}/contracts`, admin, { companyId, consent }, 201);
}

/** The partner takes an action on its contract: ACCEPT, REJECT or REVOKE. */
export function actOnContract(app: FastifyInstance, partner: Partner, gatewayId: string, action: string): Promise<Contract> {
  return expectCall(app, 'PATCH', `/v1/contracts/${gatewayId}`, partner.headers, { action }, 200);
}

/** Pairs and accepts: an ACTIVE contract, so events for the gateway flow to the partner. */
export async function pairActive(app: FastifyInstance, gatewayId: string, partner: Partner, consent = 'MONITOR_AND_CONTROL'): Promise<Contract> {
  const contract = await pair(app, gatewayId, partner.companyId, consent);
  return contract.status === 'ACTIVE' ? contract : actOnContract(app, partner, gatewayId, 'ACCEPT');
}

/** The owner ends a contract (operator API): CLOSED. */
export function closeContract(app: FastifyInstance, gatewayId: string, companyId: string): Promise<Contract> {
  return expectCall(app, 'DELETE', `/v1/admin/gateways/${gatewayId}/contracts/${companyId}`, admin, undefined, 200);
}

/** A webhook for the key's company: the page's registration object, all event types unless overridden. */
export function createWebhook(app: FastifyInstance, apiKey: string, overrides: Record<string, unknown> = {}): Promise<Webhook> {
  const body = {
    ...PAGE_REGISTRATION,
    eventTypes: ['CONNECTIVITY_STATUS', 'APPLIANCE_STATUS', 'CONTRACT_STATUS', 'DATA_POINT', 'DAILY_AGGREGATE'],
    ...overrides,
  };
  return expectCall(app, 'POST', '/v1/webhooks', partnerHeaders(apiKey), body, 201);
}

/** The tables the management API writes, and what the fan-out writes on its behalf. */
export const MANAGED_TABLES = [
  'companies',
  'api_keys',
  'gateways',
  'contracts',
  'webhooks',
  'events',
  'event_recipients',
  'deliveries',
  'webhook_sequences',
] as const;

/** Every row of the managed tables, to compare before and after a refused request. */
export async function snapshot(rt: Runtime): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of MANAGED_TABLES) out[table] = await rt.store.all(`SELECT * FROM ${table} ORDER BY 1`);
  return out;
}

/** How many rows each managed table holds. */
export async function countRows(rt: Runtime): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of MANAGED_TABLES) {
    out[table] = Number((await rt.store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0);
  }
  return out;
}
