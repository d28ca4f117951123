/**
 * A thread of the ingress writer (its entry point, started by `loggedIngressWriter`): the
 * copier inserts what the ingress log holds into SQLite on its own connection, and the
 * checkpointer copies the WAL into the database file on another.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { registerIdFunctions } from "./ids.js";
import { type LogPosition, logTables } from "./ingress-log.js";
import type { WriterReply, WriterRequest, WriterThreadData } from "./ingress-rows.js";

function failureOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function open(data: WriterThreadData, synchronous: "NORMAL" | "FULL"): Database.Database {
  const db = new Database(data.path);
  registerIdFunctions(db);
  db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma("wal_autocheckpoint = 0");
  db.pragma(`journal_size_limit = ${data.walLimitBytes}`);
  return db;
}

type CopyRequest = Extract<WriterRequest, { type: "copy" }>;

/**
 * Copies the log into SQLite. The log is what makes a 202 durable, so these commits need no
 * fsync of their own (`synchronous = NORMAL`): one lost to a power cut is copied again from
 * the position committed with the rows. Requests that queue up while it copies are served
 * together, as one transaction.
 */
function serveCopies(port: MessagePort, data: WriterThreadData): void {
  const db = open(data, "NORMAL");
  const tables = logTables(db);
  let position: LogPosition = tables.position();
  let goal: CopyRequest | undefined;
  let scheduled = false;
  // Where each segment's frames end, from the last request that named it: past it are zeros.
  const ends = new Map<number, number>();
  const copyTo = (segment: number, end: number | undefined) => {
    const { used, read, torn } = tables.copy(data.logDir, segment, position.offset, end);
    position = { segment, offset: position.offset + used };
    // Live, the copier is told where frames end: anything short of that is damage, not a crash.
    if (torn || (end !== undefined && used !== read)) {
      throw new Error(`segment ${segment} has an unreadable frame at ${position.offset}`);
    }
  };
  const copy = () => {
    scheduled = false;
    if (!goal) return;
    const target = goal;
    try {
      // A newer segment means the older ones are complete: copy each to its end, then drop it.
      while (position.segment < target.segment) {
        const finished = position.segment;
        copyTo(finished, ends.get(finished));
        tables.retire(data.logDir, finished);
        ends.delete(finished);
        position = { segment: finished + 1, offset: 0 };
      }
      if (target.offset > position.offset) copyTo(target.segment, target.offset);
      if (goal === target) goal = undefined;
      port.postMessage({ type: "copied", seq: target.seq } satisfies WriterReply);
    } catch (error) {
      // Where the last commit left it: a later copy (the one made at close, say) starts there,
      // so nothing that failed here is skipped.
      goal = undefined;
      position = tables.position();
      port.postMessage({ type: "failed", message: failureOf(error) } satisfies WriterReply);
    }
  };
  port.on("message", (message: WriterRequest) => {
    if (message.type === "close") {
      copy();
      db.close();
      port.postMessage({ type: "closed" } satisfies WriterReply);
      return;
    }
    goal = message;
    for (const [segment, end] of message.ends) ends.set(segment, end);
    ends.set(message.segment, message.offset);
    if (!scheduled) {
      scheduled = true;
      setImmediate(copy);
    }
  });
}

// PASSIVE never waits for the copier; once it has copied everything, the copier's next commit
// starts the WAL over from its beginning, so the file stays near `walLimitBytes`.
function serveCheckpoints(port: MessagePort, data: WriterThreadData): void {
  const db = open(data, "FULL");
  const timer = setInterval(() => {
    try {
      db.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // Busy: the next tick checkpoints.
    }
  }, data.checkpointMs);
  port.on("message", (message: WriterRequest) => {
    if (message.type !== "close") return;
    clearInterval(timer);
    db.close();
    port.postMessage({ type: "closed" } satisfies WriterReply);
  });
}

if (parentPort) {
  const data = workerData as WriterThreadData;
  if (data.role === "copier") serveCopies(parentPort, data);
  else serveCheckpoints(parentPort, data);
}
