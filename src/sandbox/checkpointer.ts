import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";

// Plain JavaScript, so the thread starts the same from source (tests) and from dist.
const THREAD = `const { parentPort, workerData: data } = require("node:worker_threads");
const db = new (require(data.driver))(data.path);
db.pragma("busy_timeout = 1000");
const timer = setInterval(() => { try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {} }, data.everyMs);
parentPort.once("message", () => { clearInterval(timer); db.close(); });`;

/**
 * Moves WAL checkpoints off the request thread: a thread copies the WAL into the database
 * file every `everyMs` on its own connection (PASSIVE: it never waits for a commit), so no
 * commit pays for a checkpoint. Should the thread fail, `db` checkpoints as SQLite does.
 */
export function startCheckpointer(db: Database.Database, everyMs = 20) {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(THREAD, { eval: true, workerData: { driver, path: db.name, everyMs } });
  db.pragma("wal_autocheckpoint = 0");
  const exited = new Promise((resolve) => worker.once("exit", resolve));
  worker.on("error", () => db.open && db.pragma("wal_autocheckpoint = 1000"));
  return {
    async close(): Promise<void> {
      worker.postMessage("close");
      await exited;
    },
  };
}
