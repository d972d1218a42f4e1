import pg from 'pg';
import { processCpuMs } from './processCpu.js';

/** What PostgreSQL spent on one schema's work between two snapshots. */
export interface PostgresCostDelta {
  /** CPU (ms) of the backends serving connections named `applicationName` (not the WAL writer, checkpointer, autovacuum). */
  backendCpuMs: number;
  /** WAL bytes of records touching the schema's tables and indexes, and of their transactions' commits (pg_walinspect); NaN when unavailable. */
  walBytes: number;
  /** Of `walBytes`, full-page images (the first change of a page after each checkpoint): they shrink with rarer checkpoints. */
  walFpiBytes: number;
  /** Write transactions committed on the schema (commit records of those transactions). */
  commits: number;
  /** WAL bytes of the whole server over the window (every user's work). */
  serverWalBytes: number;
  /** Rows inserted, updated (of which HOT) and deleted in the schema's tables (pg_stat_user_tables). */
  rowsInserted: number;
  rowsUpdated: number;
  rowsHotUpdated: number;
  rowsDeleted: number;
  /** Index scans on the schema's tables. */
  indexScans: number;
}

interface Snapshot {
  backends: Map<number, number>;
  lsn: string;
  tables: { ins: number; upd: number; hot: number; del: number; idx: number };
}

/**
 * Measures PostgreSQL's side of a benchmark's work on one schema, on a server other people
 * also use: the backends are told apart by their `application_name` (put it in the database
 * URL: `…?schema=x&application_name=x`, which `pg` prefers to Hearthook's own), the WAL by
 * reading the records between two LSNs with pg_walinspect (installed into the schema unless
 * another schema has it, so it goes when the schema is dropped) and keeping those that touch the schema's relations, and
 * rows by the schema's table statistics. Backends must run on this machine (/proc).
 *
 * @example
 * const cost = await PostgresCost.open(server, schema, schema);
 * await cost.mark(); … work …; const spent = await cost.since(); await cost.close();
 */
export class PostgresCost {
  private start: Snapshot | undefined;
  /** The schema pg_walinspect is installed in (one per database), or undefined without it. */
  private walinspect: string | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly schema: string,
    private readonly applicationName: string,
  ) {}

  static async open(server: string, schema: string, applicationName: string): Promise<PostgresCost> {
    const client = new pg.Client({ connectionString: server, application_name: `${applicationName}_meter` });
    await client.connect();
    const cost = new PostgresCost(client, schema, applicationName);
    try {
      // An extension lives in one schema of the database: another run's may already hold it.
      await client.query(`CREATE EXTENSION IF NOT EXISTS pg_walinspect SCHEMA ${schema}`);
      const { rows } = await client.query("SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pg_walinspect'");
      cost.walinspect = rows[0]?.schema;
    } catch {
      // Not a superuser, or the contrib package is missing: WAL is then the server's total only.
    }
    return cost;
  }

  /** Takes the starting snapshot. */
  async mark(): Promise<void> {
    this.start = await this.snapshot();
  }

  /** What was spent since `mark()`. */
  async since(): Promise<PostgresCostDelta> {
    const start = this.start;
    if (!start) throw new Error('PostgresCost.since() before mark()');
    const end = await this.snapshot();
    let backendCpuMs = 0;
    // A backend that connected after the mark counts from zero; one that exited meanwhile is lost
    // (pools keep their connections while there is work).
    for (const [pid, ms] of end.backends) backendCpuMs += ms - (start.backends.get(pid) ?? 0);
    const serverWal = await this.client.query('SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::float8 AS bytes', [start.lsn, end.lsn]);
    const wal = this.walinspect ? await this.schemaWal(start.lsn, end.lsn) : { bytes: Number.NaN, fpi: Number.NaN, commits: Number.NaN };
    return {
      backendCpuMs,
      walBytes: wal.bytes,
      walFpiBytes: wal.fpi,
      commits: wal.commits,
      serverWalBytes: serverWal.rows[0].bytes,
      rowsInserted: end.tables.ins - start.tables.ins,
      rowsUpdated: end.tables.upd - start.tables.upd,
      rowsHotUpdated: end.tables.hot - start.tables.hot,
      rowsDeleted: end.tables.del - start.tables.del,
      indexScans: end.tables.idx - start.tables.idx,
    };
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }

  private async snapshot(): Promise<Snapshot> {
    // Table statistics reach the shared view up to a second after a transaction (PostgreSQL 15).
    await this.client.query('SELECT pg_stat_force_next_flush()').catch(() => {});
    const pids = await this.client.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [this.applicationName]);
    const backends = new Map<number, number>();
    for (const { pid } of pids.rows as { pid: number }[]) {
      const ms = processCpuMs(pid);
      if (Number.isFinite(ms)) backends.set(pid, ms);
    }
    const lsn = (await this.client.query('SELECT pg_current_wal_flush_lsn()::text AS lsn')).rows[0].lsn as string;
    const t = await this.client.query(
      `SELECT COALESCE(sum(n_tup_ins), 0)::float8 AS ins, COALESCE(sum(n_tup_upd), 0)::float8 AS upd,
              COALESCE(sum(n_tup_hot_upd), 0)::float8 AS hot, COALESCE(sum(n_tup_del), 0)::float8 AS del,
              COALESCE(sum(idx_scan), 0)::float8 AS idx
         FROM pg_stat_user_tables WHERE schemaname = $1`,
      [this.schema],
    );
    return { backends, lsn, tables: t.rows[0] };
  }

  /**
   * WAL of the schema between two LSNs: records with a block reference to one of its relations
   * (tables, indexes, TOAST), plus the commit records of the transactions that wrote them.
   */
  private async schemaWal(from: string, to: string): Promise<{ bytes: number; fpi: number; commits: number }> {
    try {
      const { rows } = await this.client.query(
        `WITH rels AS (
           SELECT c.relfilenode FROM pg_class c WHERE c.relnamespace = $3::regnamespace AND c.relfilenode <> 0
           UNION SELECT t.relfilenode FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.relnamespace = $3::regnamespace
         ),
         records AS MATERIALIZED (
           SELECT xid, resource_manager, record_type, record_length AS bytes, fpi_length,
                  EXISTS (SELECT 1 FROM regexp_matches(block_ref, 'rel \\d+/\\d+/(\\d+)', 'g') m
                           WHERE m[1]::oid IN (SELECT relfilenode FROM rels)) AS ours
             FROM ${this.walinspect}.pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
         ),
         xids AS (SELECT DISTINCT xid::text AS xid FROM records WHERE ours AND xid::text <> '0')
         SELECT COALESCE(sum(bytes) FILTER (WHERE ours OR (resource_manager = 'Transaction' AND xid::text IN (SELECT xid FROM xids))), 0)::float8 AS bytes,
                COALESCE(sum(fpi_length) FILTER (WHERE ours), 0)::float8 AS fpi,
                count(*) FILTER (WHERE resource_manager = 'Transaction' AND record_type LIKE 'COMMIT%' AND xid::text IN (SELECT xid FROM xids))::float8 AS commits
           FROM records`,
        [from, to, this.schema],
      );
      return rows[0];
    } catch {
      return { bytes: Number.NaN, fpi: Number.NaN, commits: Number.NaN };
    }
  }
}
