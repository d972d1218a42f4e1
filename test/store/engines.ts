import type { Store } from '../../src/store/db.js';
import { openStore } from '../../src/store/openStore.js';
import { dropTestSchema, newTestSchema, testPostgresUrl } from '../helpers/testDatabase.js';

/** A fresh, migrated database of one engine; `connect` opens another store on the same one. */
export interface TestDatabase {
  store: Store;
  /** Another store (its own connections) on the same database: a second node. */
  connect(): Promise<Store>;
  close(): Promise<void>;
}

export interface Engine {
  name: 'sqlite' | 'postgres';
  open(): Promise<TestDatabase>;
}

const sqlite: Engine = {
  name: 'sqlite',
  async open() {
    const store = await openStore(':memory:');
    return {
      store,
      connect: () => Promise.reject(new Error('an in-memory SQLite database has one connection')),
      close: () => store.close(),
    };
  },
};

function postgres(baseUrl: string): Engine {
  return {
    name: 'postgres',
    async open() {
      const { schema, database } = newTestSchema(baseUrl);
      const store = await openStore(database);
      const others: Store[] = [];
      return {
        store,
        async connect() {
          const other = await openStore(database);
          others.push(other);
          return other;
        },
        async close() {
          for (const s of [store, ...others]) await s.close();
          await dropTestSchema(baseUrl, schema);
        },
      };
    },
  };
}

/** SQLite always; PostgreSQL too when `HEARTHOOK_TEST_DATABASE` (or `DATABASE_URL`) is set. */
export function engines(): Engine[] {
  const url = testPostgresUrl();
  return url ? [sqlite, postgres(url)] : [sqlite];
}

/** The PostgreSQL engine, or undefined when no server is configured. */
export function postgresEngine(): Engine | undefined {
  const url = testPostgresUrl();
  return url ? postgres(url) : undefined;
}
