import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Why PostgreSQL at `url` cannot be used, or undefined when a connection works. */
export async function postgresProblem(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `PostgreSQL at ${redact(url)} is unreachable (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A fresh schema name for one scenario's tables, dropped afterwards. */
export function newSchemaName(label: string): string {
  return `bench_${label}_${randomBytes(4).toString('hex')}`;
}

/** `url` with Hearthook's `schema` parameter set. */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

/** Runs SQL on `url` with `search_path` set to `schema`. */
export async function withClient<T>(url: string, schema: string | undefined, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (schema) await client.query(`SET search_path TO ${schema}`);
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await withClient(url, undefined, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).catch(() => {});
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
