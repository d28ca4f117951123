import pg from "pg";
import { type PageLookup, type PageRecord, pageRowOf, SPENT_PAGE_MEMORY_MS } from "./page-rows.js";
import {
  DEFAULT_SETUP_TTL_MS,
  MIGRATIONS,
  type SetupStore,
  type StoredSetup,
  type StoreOptions,
} from "./setup-store.js";

/** Held while migrating, so replicas starting together apply each migration once. */
const MIGRATION_LOCK = 0x61727768;

/** Connections one replica's pool opens at most; a call holds one for one statement. */
export const DEFAULT_MAX_CONNECTIONS = 10;

/** The setup store on PostgreSQL, through a `pg` pool: what N replicas of a hosted server share. */
export function openPostgresSetupStore(
  options: StoreOptions & { connectionString: string; maxConnections?: number },
): SetupStore {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its server (a restart, a failover) must not crash the process.
  pool.on("error", () => {});
  const now = options.now ?? Date.now;
  const ttlMs = options.wizardTtlMs ?? DEFAULT_SETUP_TTL_MS;
  const query = async <Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []) =>
    pool.query<Row>(sql, values);

  return {
    dialect: "postgres",
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
        await client.query(
          "CREATE TABLE IF NOT EXISTS store_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
        );
        const done = new Set(
          (
            await client.query<{ version: number }>("SELECT version FROM store_migrations")
          ).rows.map((row) => row.version),
        );
        for (const [index, sql] of MIGRATIONS.entries()) {
          if (done.has(index + 1)) continue;
          await client.query(sql);
          await client.query("INSERT INTO store_migrations (version, applied_at) VALUES ($1, $2)", [
            index + 1,
            now(),
          ]);
        }
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async ready() {
      try {
        const { rows } = await query<{ version: number | null }>(
          "SELECT max(version) AS version FROM store_migrations",
        );
        return rows[0]?.version === MIGRATIONS.length;
      } catch {
        return false;
      }
    },
    setupsOf(owner) {
      return {
        async save(id, snapshot, version) {
          const written = await query(
            `INSERT INTO wizards (id, owner, snapshot, updated_at, version) VALUES ($1, $2, $3, $4, 1)
             ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at,
               version = wizards.version + 1
             WHERE wizards.owner = excluded.owner AND wizards.version = $5 AND $5 > 0`,
            [id, owner, JSON.stringify(snapshot), now(), version],
          );
          return written.rowCount === 1;
        },
        async load(id): Promise<StoredSetup> {
          const { rows } = await query<{ snapshot: string; updated_at: string; version: number }>(
            "SELECT snapshot, updated_at, version FROM wizards WHERE id = $1 AND owner = $2",
            [id, owner],
          );
          const row = rows[0];
          if (!row) return { state: "missing" };
          if (Number(row.updated_at) < now() - ttlMs) {
            await query("DELETE FROM wizards WHERE id = $1", [id]);
            return { state: "expired" };
          }
          return { state: "found", snapshot: JSON.parse(row.snapshot), version: row.version };
        },
      };
    },
    async countOpenWizards() {
      const { rows } = await query<{ n: string }>(
        "SELECT count(*) AS n FROM wizards WHERE updated_at >= $1",
        [now() - ttlMs],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async putPage(page) {
      await query(
        "INSERT INTO once_pages (id, kind, owner, wizard_id, payload, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [page.id, page.kind, page.owner, page.wizardId, page.payload, page.expiresAt],
      );
    },
    async getPage(id): Promise<PageLookup> {
      const { rows } = await query<PageRecord>("SELECT * FROM once_pages WHERE id = $1", [id]);
      const record = rows[0];
      if (!record) return { state: "missing" };
      if (record.payload === null || Number(record.expires_at) <= now()) return { state: "spent" };
      return { state: "live", page: pageRowOf(record) };
    },
    async livePaste(wizardId, owner) {
      const { rows } = await query<PageRecord>(
        `SELECT * FROM once_pages WHERE wizard_id = $1 AND kind = 'paste'
         AND owner IS NOT DISTINCT FROM $2 AND payload IS NOT NULL AND expires_at > $3
         ORDER BY expires_at DESC LIMIT 1`,
        [wizardId, owner, now()],
      );
      return rows[0] ? pageRowOf(rows[0]) : undefined;
    },
    async consumePage(id) {
      // Row locking makes a second concurrent UPDATE re-check `payload IS NOT NULL` and miss.
      const { rows } = await query<PageRecord>(
        `UPDATE once_pages AS page SET payload = NULL, used_at = $2
         FROM (SELECT payload FROM once_pages WHERE id = $1 FOR UPDATE) AS before
         WHERE page.id = $1 AND page.payload IS NOT NULL AND page.expires_at > $2
         RETURNING page.id, page.kind, page.owner, page.wizard_id, before.payload, page.expires_at`,
        [id, now()],
      );
      return rows[0] ? pageRowOf(rows[0]) : undefined;
    },
    async expirePages() {
      const at = now();
      const expired = await query(
        "UPDATE once_pages SET payload = NULL WHERE payload IS NOT NULL AND expires_at <= $1",
        [at],
      );
      await query("DELETE FROM once_pages WHERE expires_at < $1", [at - SPENT_PAGE_MEMORY_MS]);
      return expired.rowCount ?? 0;
    },
    async putSealed(key, sealed, expiresAt) {
      await query(
        `INSERT INTO sealed_values (key, sealed, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET sealed = excluded.sealed, expires_at = excluded.expires_at`,
        [key, sealed, expiresAt],
      );
    },
    async peekSealed(key) {
      const { rows } = await query<{ sealed: string }>(
        "SELECT sealed FROM sealed_values WHERE key = $1 AND expires_at > $2",
        [key, now()],
      );
      return rows[0]?.sealed;
    },
    async deleteSealed(key) {
      await query("DELETE FROM sealed_values WHERE key = $1", [key]);
    },
    async purge() {
      await query("DELETE FROM wizards WHERE updated_at < $1", [now() - ttlMs]);
      await query("DELETE FROM sealed_values WHERE expires_at <= $1", [now()]);
    },
    async dump() {
      const { rows } = await query<{ t: string | null }>(
        `SELECT snapshot AS t FROM wizards UNION ALL SELECT payload FROM once_pages
         UNION ALL SELECT sealed FROM sealed_values`,
      );
      return rows.map((row) => row.t ?? "").join("\n");
    },
    async close() {
      await pool.end();
    },
  };
}
