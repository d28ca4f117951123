/**
 * The ingress log: where a delivery is made durable before its answer goes out. Each accepted
 * or refused attempt is appended as one frame to the current segment file and fsync'd with the
 * others of its batch; the copier thread then inserts the frames into SQLite, recording in the
 * same transaction how far it got, so a crash at any point is repaired by replaying from there.
 *
 * A frame is a 12-byte header — the length of what follows, the length of its JSON part and
 * the CRC-32 of both — then the rows as JSON, then the body as sent (accepted deliveries only).
 * A segment file is filled with zeros before it is used, so a write into it changes no file
 * size and its sync commits no file-system metadata; a zero header marks where the frames end.
 * A frame cut short by a crash, or whose CRC does not match, ends the segment's readable part
 * too: it was never fully written, so nobody was answered for it.
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type Database from "better-sqlite3";
import { INSERT_DELIVERY, INSERT_RUN, type IngressRecord, type RunRecord } from "./ingress-rows.js";

const HEADER_BYTES = 12;
const SEGMENT_NAME = /^(\d{10})\.ingress$/;

/** The folder of a database's ingress log, beside the database file. */
export function ingressLogDir(databasePath: string): string {
  return `${databasePath}.ingress`;
}

/** The file of one segment; numbers only grow, so names sort in the order they were written. */
export function segmentPath(dir: string, segment: number): string {
  return join(dir, `${String(segment).padStart(10, "0")}.ingress`);
}

const ZEROS = Buffer.alloc(1 << 20);

/** Makes a file durable under its name: fdatasync covers its bytes, the folder's fsync the name. */
function syncFolder(dir: string): void {
  const folder = openSync(dir, "r");
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}

/**
 * Creates a segment of `bytes` zeros and syncs it and its name, so writes into it are data
 * only. Blocking; the appender prepares later segments with `prepareSegmentInBackground`.
 */
export function prepareSegment(dir: string, segment: number, bytes: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fd = openSync(segmentPath(dir, segment), "w", 0o600);
  try {
    for (let at = 0; at < bytes; at += ZEROS.length) {
      writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, bytes - at), at);
    }
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncFolder(dir);
}

/** `prepareSegment` on libuv's thread pool, so the request thread goes on meanwhile. */
export async function prepareSegmentInBackground(
  dir: string,
  segment: number,
  bytes: number,
): Promise<void> {
  const file = await open(segmentPath(dir, segment), "w", 0o600);
  try {
    for (let at = 0; at < bytes; at += ZEROS.length) {
      await file.write(ZEROS, 0, Math.min(ZEROS.length, bytes - at), at);
    }
    await file.datasync();
  } finally {
    await file.close();
  }
  const folder = await open(dir, "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** The segments present in the folder, oldest first. */
export function listSegments(dir: string): number[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return readdirSync(dir)
    .map((name) => SEGMENT_NAME.exec(name)?.[1])
    .filter((digits): digits is string => digits !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** One record as the buffers appended for it: header and rows, then the body when there is one. */
export function encodeFrame(record: IngressRecord): Buffer[] {
  const body = record.run ? Buffer.from(record.run.payload, "utf8") : undefined;
  const rows = Buffer.from(
    JSON.stringify(record.run ? { ...record, run: { ...record.run, payload: "" } } : record),
    "utf8",
  );
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(rows.length + (body?.length ?? 0), 0);
  header.writeUInt32LE(rows.length, 4);
  header.writeUInt32LE(body ? crc32(body, crc32(rows)) : crc32(rows), 8);
  return body ? [header, rows, body] : [header, rows];
}

/**
 * The records of whole, intact frames in `bytes`, how many bytes they took, and whether what
 * follows is a torn frame rather than the zeros (or the end) after the last one.
 */
export function decodeFrames(bytes: Buffer): {
  records: IngressRecord[];
  used: number;
  torn: boolean;
} {
  const records: IngressRecord[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    if (length === 0) return { records, used: at, torn: false };
    const rowsLength = bytes.readUInt32LE(at + 4);
    const start = at + HEADER_BYTES;
    const end = start + length;
    if (rowsLength > length || end > bytes.length) break;
    if (crc32(bytes.subarray(start, end)) !== bytes.readUInt32LE(at + 8)) break;
    const record = JSON.parse(bytes.toString("utf8", start, start + rowsLength)) as IngressRecord;
    if (record.run) record.run.payload = bytes.toString("utf8", start + rowsLength, end);
    records.push(record);
    at = end;
  }
  return { records, used: at, torn: at < bytes.length };
}

/** How far the copier has got: every segment before `segment` is in SQLite, and this one up to `offset`. */
export interface LogPosition {
  segment: number;
  offset: number;
}

// OR IGNORE: a frame applied again (it cannot be, the position commits with it) stays one row.
const INSERT_RUN_ONCE = INSERT_RUN.replace(/^INSERT /, "INSERT OR IGNORE ");
const INSERT_DELIVERY_ONCE = INSERT_DELIVERY.replace(/^INSERT /, "INSERT OR IGNORE ");

/**
 * The SQLite side of the log on one connection (its table is made by migration 7): reads and
 * moves the position, and inserts a run of frames together with the position after them, in
 * one transaction.
 */
export function logTables(db: Database.Database) {
  const read = db.prepare("SELECT segment, offset FROM ingress_log_position WHERE only = 1");
  const write = db.prepare(
    `INSERT INTO ingress_log_position (only, segment, offset) VALUES (1, @segment, @offset)
     ON CONFLICT (only) DO UPDATE SET segment = excluded.segment, offset = excluded.offset`,
  );
  const insertRun = db.prepare(INSERT_RUN_ONCE);
  const insertDelivery = db.prepare(INSERT_DELIVERY_ONCE);
  const apply = db.transaction((records: IngressRecord[], after: LogPosition) => {
    for (const { run, delivery } of records) {
      if (run) insertRun.run(run satisfies RunRecord);
      insertDelivery.run(delivery);
    }
    write.run(after);
  });
  return {
    position: (): LogPosition =>
      (read.get() as LogPosition | undefined) ?? { segment: 1, offset: 0 },
    /**
     * Copies the whole frames of a segment from `from` to `end` (or its end) and commits the
     * position after them; answers what it read, for the caller to judge what is left over.
     */
    copy(dir: string, segment: number, from: number, end?: number) {
      const bytes = readSegment(dir, segment, from, end);
      const decoded = decodeFrames(bytes);
      apply(decoded.records, { segment, offset: from + decoded.used });
      return { ...decoded, read: bytes.length };
    },
    /** Moves past a copied segment with an fsync'd commit, then deletes its file. */
    retire(dir: string, segment: number): void {
      const mode = db.pragma("synchronous", { simple: true });
      db.pragma("synchronous = FULL");
      try {
        write.run({ segment: segment + 1, offset: 0 });
      } finally {
        db.pragma(`synchronous = ${mode}`);
      }
      rmSync(segmentPath(dir, segment), { force: true });
    },
  };
}

/** Reads a segment file from `offset` to `end` (or to its end), in one buffer. */
export function readSegment(dir: string, segment: number, offset: number, end?: number): Buffer {
  const fd = openSync(segmentPath(dir, segment), "r");
  try {
    const chunks: Buffer[] = [];
    let at = offset;
    for (;;) {
      const want = end === undefined ? 1 << 20 : Math.min(1 << 20, end - at);
      if (want <= 0) break;
      const chunk = Buffer.allocUnsafe(want);
      const got = readSync(fd, chunk, 0, want, at);
      if (got === 0) break;
      chunks.push(got === want ? chunk : chunk.subarray(0, got));
      at += got;
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

/** What a replay found: records inserted, segments finished, segments that ended in a torn frame. */
export interface ReplayReport {
  records: number;
  segments: number;
  tornFrames: number;
}

/**
 * Inserts what the log holds beyond the recorded position, segment by segment, and deletes
 * each finished segment: run once at start, before ingress opens, so a crash loses nothing
 * that was answered 202. Resolves with the number of the segment to append to next.
 */
export function replayIngressLog(
  db: Database.Database,
  dir: string,
): ReplayReport & { nextSegment: number } {
  const tables = logTables(db);
  const report: ReplayReport = { records: 0, segments: 0, tornFrames: 0 };
  let { segment, offset } = tables.position();
  for (const found of listSegments(dir)) {
    if (found < segment) {
      // Finished before the crash, its deletion not yet done.
      rmSync(segmentPath(dir, found), { force: true });
      continue;
    }
    const { records, torn } = tables.copy(dir, found, found === segment ? offset : 0);
    tables.retire(dir, found);
    report.records += records.length;
    report.segments += 1;
    if (torn) report.tornFrames += 1;
    segment = found + 1;
    offset = 0;
  }
  return { ...report, nextSegment: segment };
}
