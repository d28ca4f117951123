import type { PageLookup, PageRow } from "./page-rows.js";

/** Setups idle longer than this are forgotten (two hours). */
export const DEFAULT_SETUP_TTL_MS = 2 * 60 * 60 * 1000;

/** The owner of every setup in local mode, where one person runs the server. */
export const LOCAL_OWNER = "local";

/** A stored setup with the version it was read at; a write names the version it builds on. */
export type StoredSetup =
  | { state: "found"; snapshot: unknown; version: number }
  | { state: "expired" }
  | { state: "missing" };

/**
 * The setups of one owner. A snapshot holds answers and hints only (the machine keeps secrets
 * out of its context), so these rows hold no secret.
 */
export interface SetupRows {
  /** Another owner's setup is `missing`, exactly like one that never existed. */
  load(id: string): Promise<StoredSetup>;
  /**
   * Writes a setup over `version` (0: a new one) and makes it `version + 1`; false, writing
   * nothing, when another write came first or the setup is another owner's.
   */
  save(id: string, snapshot: unknown, version: number): Promise<boolean>;
}

/**
 * Where guided setups live, with their one-time pages and the short-lived sealed values between
 * them (a pasted PAT). One interface, a SQLite implementation (local mode, and hosted mode on one
 * machine) and a PostgreSQL one (replicas), both run through the same test suite.
 */
export interface SetupStore {
  readonly dialect: "sqlite" | "postgres";
  /** Applies pending migrations; safe when several replicas start at the same time. */
  migrate(): Promise<void>;
  /** The database answers and every migration is applied. */
  ready(): Promise<boolean>;
  /** The setups of `owner` (a caller's digest in hosted mode), read and written in this store directly. */
  setupsOf(owner: string): SetupRows;
  /** Setups touched within the wizard time limit. */
  countOpenWizards(): Promise<number>;
  putPage(page: PageRow): Promise<void>;
  getPage(id: string): Promise<PageLookup>;
  /** The live paste page of a setup, so asking twice hands out the same link. */
  livePaste(wizardId: string, owner: string | null): Promise<PageRow | undefined>;
  /** Takes a live page's payload and wipes it, in one statement: across replicas only one caller gets it. */
  consumePage(id: string): Promise<PageRow | undefined>;
  /** Wipes the payload of every expired page and forgets spent pages after a day; returns how many expired. */
  expirePages(): Promise<number>;
  putSealed(key: string, sealed: string, expiresAt: number): Promise<void>;
  peekSealed(key: string): Promise<string | undefined>;
  deleteSealed(key: string): Promise<void>;
  /** Deletes setups idle past the time limit and expired sealed values. */
  purge(): Promise<void>;
  /** Every stored text, for checks that nothing secret is written in plain text. */
  dump(): Promise<string>;
  close(): Promise<void>;
}

export interface StoreOptions {
  wizardTtlMs?: number;
  now?: () => number;
}

/** The schema, in order; each entry runs once, in a transaction, and is recorded by version. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE wizards (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  )`,
  "CREATE INDEX wizards_updated ON wizards (updated_at)",
  `CREATE TABLE once_pages (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner TEXT,
    wizard_id TEXT,
    payload TEXT,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  )`,
  "CREATE INDEX once_pages_wizard ON once_pages (wizard_id)",
  "CREATE INDEX once_pages_expiry ON once_pages (expires_at)",
  `CREATE TABLE sealed_values (
    key TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    expires_at BIGINT NOT NULL
  )`,
  "ALTER TABLE wizards ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
];
