import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** Wizards idle longer than this are forgotten (two hours). */
export const DEFAULT_WIZARD_TTL_MS = 2 * 60 * 60 * 1000;

export type StoredWizard =
  | { state: "found"; snapshot: unknown }
  | { state: "expired" }
  | { state: "missing" };

/**
 * Persisted wizard snapshots, one row per wizard id, in SQLite. A snapshot holds answers and
 * hints only (the machine keeps secrets out of its context), so the table holds no secret.
 */
export class WizardStore {
  readonly #db: Database.Database;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #onSave: ((id: string, snapshot: unknown) => void) | undefined;

  constructor(options: {
    path: string;
    ttlMs?: number;
    now?: () => number;
    /** Told of every save: a hosted server writes the snapshots through to its shared store. */
    onSave?: (id: string, snapshot: unknown) => void;
  }) {
    if (options.path !== ":memory:")
      mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    this.#db = new Database(options.path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("busy_timeout = 5000");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS wizards (
      id TEXT PRIMARY KEY,
      snapshot TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
    this.#ttlMs = options.ttlMs ?? DEFAULT_WIZARD_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#onSave = options.onSave;
  }

  save(id: string, snapshot: unknown): void {
    this.#db
      .prepare(
        "INSERT INTO wizards (id, snapshot, updated_at) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at",
      )
      .run(id, JSON.stringify(snapshot), this.#now());
    this.#onSave?.(id, snapshot);
  }

  load(id: string): StoredWizard {
    const row = this.#db.prepare("SELECT snapshot, updated_at FROM wizards WHERE id = ?").get(id) as
      | { snapshot: string; updated_at: number }
      | undefined;
    if (!row) return { state: "missing" };
    if (row.updated_at < this.#now() - this.#ttlMs) {
      this.#db.prepare("DELETE FROM wizards WHERE id = ?").run(id);
      return { state: "expired" };
    }
    return { state: "found", snapshot: JSON.parse(row.snapshot) };
  }

  /** Deletes every wizard idle past the time limit; returns how many. */
  purge(): number {
    return this.#db
      .prepare("DELETE FROM wizards WHERE updated_at < ?")
      .run(this.#now() - this.#ttlMs).changes;
  }

  /** Every stored snapshot as text, for checks that no secret was ever written. */
  dump(): string {
    return (this.#db.prepare("SELECT snapshot FROM wizards").all() as { snapshot: string }[])
      .map((row) => row.snapshot)
      .join("\n");
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
