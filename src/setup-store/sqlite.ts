import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { type PageLookup, type PageRecord, pageRowOf, SPENT_PAGE_MEMORY_MS } from "./page-rows.js";
import {
  DEFAULT_SETUP_TTL_MS,
  LOCAL_OWNER,
  MIGRATIONS,
  type SetupRows,
  type SetupStore,
  type StoredSetup,
  type StoreOptions,
} from "./setup-store.js";

/**
 * The setup store in one SQLite file: local mode, hosted mode on one machine, and the reference
 * the PostgreSQL store is tested against.
 */
export function openSqliteSetupStore(options: StoreOptions & { path: string }): SetupStore {
  if (options.path !== ":memory:")
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
  const db = new Database(options.path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  const now = options.now ?? Date.now;
  const ttlMs = options.wizardTtlMs ?? DEFAULT_SETUP_TTL_MS;
  let migrated = false;
  const hasTable = (name: string) =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !==
    undefined;

  return {
    dialect: "sqlite",
    async migrate() {
      db.transaction(() => {
        const legacy = hasTable("wizards") && !hasTable("store_migrations");
        // A wizard file from before the setup store: its setups move over as local ones.
        if (legacy) db.exec("ALTER TABLE wizards RENAME TO wizards_before_migrations");
        db.exec(
          "CREATE TABLE IF NOT EXISTS store_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
        );
        const done = new Set(
          (db.prepare("SELECT version FROM store_migrations").all() as { version: number }[]).map(
            (row) => row.version,
          ),
        );
        MIGRATIONS.forEach((sql, index) => {
          if (done.has(index + 1)) return;
          db.exec(sql);
          db.prepare("INSERT INTO store_migrations (version, applied_at) VALUES (?, ?)").run(
            index + 1,
            now(),
          );
        });
        if (!legacy) return;
        db.prepare(
          `INSERT INTO wizards (id, owner, snapshot, updated_at, version)
           SELECT id, ?, snapshot, updated_at, 1 FROM wizards_before_migrations`,
        ).run(LOCAL_OWNER);
        db.exec("DROP TABLE wizards_before_migrations");
      }).immediate();
      migrated = true;
    },
    async ready() {
      if (!migrated || !db.open) return false;
      const row = db.prepare("SELECT max(version) AS version FROM store_migrations").get() as {
        version: number | null;
      };
      return row.version === MIGRATIONS.length;
    },
    setupsOf(owner) {
      return {
        async save(id, snapshot, version) {
          return (
            db
              .prepare(
                `INSERT INTO wizards (id, owner, snapshot, updated_at, version) VALUES (?, ?, ?, ?, 1)
                 ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at,
                   version = wizards.version + 1
                 WHERE wizards.owner = excluded.owner AND wizards.version = ? AND ? > 0`,
              )
              .run(id, owner, JSON.stringify(snapshot), now(), version, version).changes === 1
          );
        },
        async load(id): Promise<StoredSetup> {
          const row = db
            .prepare("SELECT snapshot, updated_at, version FROM wizards WHERE id = ? AND owner = ?")
            .get(id, owner) as
            | { snapshot: string; updated_at: number; version: number }
            | undefined;
          if (!row) return { state: "missing" };
          if (row.updated_at < now() - ttlMs) {
            db.prepare("DELETE FROM wizards WHERE id = ?").run(id);
            return { state: "expired" };
          }
          return { state: "found", snapshot: JSON.parse(row.snapshot), version: row.version };
        },
      };
    },
    async countOpenWizards() {
      return (
        db
          .prepare("SELECT count(*) AS n FROM wizards WHERE updated_at >= ?")
          .get(now() - ttlMs) as { n: number }
      ).n;
    },
    async putPage(page) {
      db.prepare(
        "INSERT INTO once_pages (id, kind, owner, wizard_id, payload, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(page.id, page.kind, page.owner, page.wizardId, page.payload, page.expiresAt);
    },
    async getPage(id): Promise<PageLookup> {
      const record = db.prepare("SELECT * FROM once_pages WHERE id = ?").get(id) as
        | PageRecord
        | undefined;
      if (!record) return { state: "missing" };
      if (record.payload === null || Number(record.expires_at) <= now()) return { state: "spent" };
      return { state: "live", page: pageRowOf(record) };
    },
    async livePaste(wizardId, owner) {
      const record = db
        .prepare(
          `SELECT * FROM once_pages WHERE wizard_id = ? AND kind = 'paste' AND owner IS ?
           AND payload IS NOT NULL AND expires_at > ? ORDER BY expires_at DESC LIMIT 1`,
        )
        .get(wizardId, owner, now()) as PageRecord | undefined;
      return record ? pageRowOf(record) : undefined;
    },
    async consumePage(id) {
      // RETURNING shows the new row, so the payload is read first, in the same write transaction.
      const take = db.transaction(() => {
        const record = db
          .prepare(
            "SELECT * FROM once_pages WHERE id = ? AND payload IS NOT NULL AND expires_at > ?",
          )
          .get(id, now()) as PageRecord | undefined;
        if (!record) return undefined;
        db.prepare("UPDATE once_pages SET payload = NULL, used_at = ? WHERE id = ?").run(now(), id);
        return pageRowOf(record);
      });
      return take.immediate();
    },
    async expirePages() {
      const at = now();
      const expired = db
        .prepare(
          "UPDATE once_pages SET payload = NULL WHERE payload IS NOT NULL AND expires_at <= ?",
        )
        .run(at).changes;
      db.prepare("DELETE FROM once_pages WHERE expires_at < ?").run(at - SPENT_PAGE_MEMORY_MS);
      return expired;
    },
    async putSealed(key, sealed, expiresAt) {
      db.prepare(
        `INSERT INTO sealed_values (key, sealed, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET sealed = excluded.sealed, expires_at = excluded.expires_at`,
      ).run(key, sealed, expiresAt);
    },
    async peekSealed(key) {
      const row = db
        .prepare("SELECT sealed FROM sealed_values WHERE key = ? AND expires_at > ?")
        .get(key, now()) as { sealed: string } | undefined;
      return row?.sealed;
    },
    async deleteSealed(key) {
      db.prepare("DELETE FROM sealed_values WHERE key = ?").run(key);
    },
    async purge() {
      db.prepare("DELETE FROM wizards WHERE updated_at < ?").run(now() - ttlMs);
      db.prepare("DELETE FROM sealed_values WHERE expires_at <= ?").run(now());
    },
    async dump() {
      const texts = [
        ...(db.prepare("SELECT snapshot AS t FROM wizards").all() as { t: string }[]),
        ...(db.prepare("SELECT payload AS t FROM once_pages").all() as { t: string | null }[]),
        ...(db.prepare("SELECT sealed AS t FROM sealed_values").all() as { t: string }[]),
      ];
      return texts.map((row) => row.t ?? "").join("\n");
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

/** Local mode's setup store: one SQLite file (or `:memory:`), migrated, its setups all `local`. */
export async function openLocalSetupStore(
  path: string,
): Promise<{ store: SetupStore; setups: SetupRows }> {
  const store = openSqliteSetupStore({ path });
  await store.migrate();
  return { store, setups: store.setupsOf(LOCAL_OWNER) };
}
