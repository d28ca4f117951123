/**
 * A thread of the ingress writer (its entry point, started by `workerIngressWriter`): the
 * writer inserts batches of ingress rows on its own SQLite connection, each batch one fsync'd
 * commit; the checkpointer copies the WAL into the database file on another connection.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import {
  INSERT_DELIVERY,
  INSERT_RUN,
  type IngressRecord,
  type WriterReply,
  type WriterRequest,
  type WriterThreadData,
} from "./ingress-rows.js";

function failureOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function open(data: WriterThreadData): Database.Database {
  const db = new Database(data.path);
  db.pragma("busy_timeout = 5000");
  // FULL: a commit returns once the WAL is fsync'd, so a 202 survives a power loss too.
  db.pragma("synchronous = FULL");
  db.pragma("wal_autocheckpoint = 0");
  db.pragma(`journal_size_limit = ${data.walLimitBytes}`);
  return db;
}

function serveWrites(port: MessagePort, data: WriterThreadData): void {
  const db = open(data);
  const insertRun = db.prepare(INSERT_RUN);
  const insertDelivery = db.prepare(INSERT_DELIVERY);
  const one = db.transaction((record: IngressRecord) => {
    if (record.run) insertRun.run(record.run);
    insertDelivery.run(record.delivery);
  });
  const batch = db.transaction((records: IngressRecord[]) =>
    records.map((record) => {
      try {
        one(record);
        return null;
      } catch (error) {
        return failureOf(error);
      }
    }),
  );
  const reply = (message: WriterReply) => port.postMessage(message);
  port.on("message", (message: WriterRequest) => {
    if (message.type === "close") {
      db.close();
      reply({ type: "closed" });
      return;
    }
    let failures: (string | null)[];
    try {
      failures = batch(message.records);
    } catch (error) {
      failures = message.records.map(() => failureOf(error));
    }
    reply({ type: "written", id: message.id, failures });
  });
}

// PASSIVE never waits for the writer; once it has copied everything, the writer's next commit
// starts the WAL over from its beginning, so the file stays near `walLimitBytes`.
function serveCheckpoints(port: MessagePort, data: WriterThreadData): void {
  const db = open(data);
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
  if (data.role === "writer") serveWrites(parentPort, data);
  else serveCheckpoints(parentPort, data);
}
