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

export type PageLookup =
  | { state: "live"; page: PageRow }
  | { state: "spent" }
  | { state: "missing" };

/** Spent page ids are kept this long, so a late second visit says 410 rather than 404. */
export const SPENT_PAGE_MEMORY_MS = 24 * 3600 * 1000;
