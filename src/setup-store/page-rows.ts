/** What a one-time page row holds. `payload` is sealed by the caller; the store never reads it. */
export interface PageRow {
  id: string;
  kind: "reveal" | "paste";
  /** The identity that asked for the page (a digest, never a token); null for single-tenant use. */
  owner: string | null;
  /** The guided setup the page belongs to, when a wizard issued it. */
  wizardId: string | null;
  payload: string;
  expiresAt: number;
}

/** A `once_pages` row as SQL returns it (PostgreSQL's BIGINT arrives as text). */
export interface PageRecord {
  id: string;
  kind: "reveal" | "paste";
  owner: string | null;
  wizard_id: string | null;
  payload: string | null;
  expires_at: string | number;
}

/** The row as the stores hand it out: a wiped payload reads as empty. */
export const pageRowOf = (record: PageRecord): PageRow => ({
  id: record.id,
  kind: record.kind,
  owner: record.owner,
  wizardId: record.wizard_id,
  payload: record.payload ?? "",
  expiresAt: Number(record.expires_at),
});

export type PageLookup =
  | { state: "live"; page: PageRow }
  | { state: "spent" }
  | { state: "missing" };

/** Spent page ids are kept this long, so a late second visit says 410 rather than 404. */
export const SPENT_PAGE_MEMORY_MS = 24 * 3600 * 1000;
