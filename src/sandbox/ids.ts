import type Database from "better-sqlite3";

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * How the sandbox stores the ids of runs and deliveries: a lowercase UUID as its 16 bytes
 * (20 fewer than its text, in every row and index entry that holds it), anything else as
 * given. SQLite keeps a column's values as they come, so one column holds both.
 */
export function idBytes(id: string): Buffer | string {
  return UUID_TEXT.test(id) ? Buffer.from(id.replaceAll("-", ""), "hex") : id;
}

/** The text of an id as `idBytes` stored it. */
export function idText(stored: Buffer | string): string {
  if (typeof stored === "string" || stored.length !== 16) return stored.toString();
  const hex = stored.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `id_bytes(text)` and `id_text(stored)` on a connection, for the SQL that writes and reads
 * run and delivery ids. Deterministic, so `column = id_bytes(?)` still walks an index.
 */
export function registerIdFunctions(db: Database.Database): void {
  const options = { deterministic: true };
  db.function("id_bytes", options, (value: unknown) =>
    typeof value === "string" ? idBytes(value) : value,
  );
  db.function("id_text", options, (value: unknown) =>
    Buffer.isBuffer(value) ? idText(value) : value,
  );
}
