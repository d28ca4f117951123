/**
 * The ingress writer's thread (its entry point, started by `workerIngressWriter`): inserts
 * batches of ingress rows on its own SQLite connection and checkpoints the WAL.
 */
import { parentPort, workerData } from "node:worker_threads";
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

function serve(port: NonNullable<typeof parentPort>, data: WriterThreadData): void {
  const db = new Database(data.path);
  db.pragma("busy_timeout = 5000");
  db.pragma("synchronous = NORMAL");
  db.pragma("wal_autocheckpoint = 0");
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
  const checkpoint = () => {
    try {
      db.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // Busy: the next tick checkpoints.
    }
  };
  const timer = setInterval(checkpoint, data.checkpointMs);
  const reply = (message: WriterReply) => port.postMessage(message);
  port.on("message", (message: WriterRequest) => {
    if (message.type === "close") {
      clearInterval(timer);
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

if (parentPort) serve(parentPort, workerData as WriterThreadData);
