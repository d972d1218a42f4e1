import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { dropSchema, newSchemaName, withSchema } from './postgres.js';
import type { BenchOptions } from './scenario.js';

/** One scenario's own database: a new SQLite file, or a new schema on PostgreSQL. */
export interface BenchDatabase {
  /** What `HEARTHOOK_DATABASE` is set to. */
  url: string;
  engine: 'sqlite' | 'postgres';
  /** PostgreSQL: the server URL and the schema holding the tables. */
  server?: string;
  schema?: string;
  drop(): Promise<void>;
}

let counter = 0;

/** A fresh database on the engine of the run (`--database`), SQLite by default. */
export function newDatabase(options: BenchOptions, label: string): BenchDatabase {
  if (options.database) return newPostgresDatabase(options.database, label);
  const file = join(options.workDir, `${label}-${++counter}.db`);
  return {
    url: file,
    engine: 'sqlite',
    drop: async () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    },
  };
}

/** A fresh schema on the PostgreSQL server at `server`. */
export function newPostgresDatabase(server: string, label: string): BenchDatabase {
  const schema = newSchemaName(label);
  return { url: withSchema(server, schema), engine: 'postgres', server, schema, drop: () => dropSchema(server, schema) };
}
