import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server the suite runs against, from `HEARTHOOK_TEST_DATABASE` or
 * `DATABASE_URL`; undefined means SQLite `:memory:` (the default: `npm test` needs nothing).
 */
export function testPostgresUrl(): string | undefined {
  return process.env.HEARTHOOK_TEST_DATABASE || process.env.DATABASE_URL || undefined;
}

/**
 * A fresh schema name for one test runtime, and the `HEARTHOOK_DATABASE` value that puts
 * Hearthook's tables in it (its migrations create the schema).
 */
export function newTestSchema(baseUrl: string): { schema: string; database: string } {
  const schema = `hh_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(baseUrl);
  url.searchParams.set('schema', schema);
  return { schema, database: url.toString() };
}

/** Drops a test schema and everything in it. */
export async function dropTestSchema(baseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
