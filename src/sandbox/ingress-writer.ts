import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Run } from "../contract/schemas.js";
import type { NewDelivery } from "./store.js";

/** The two rows an ingress attempt writes: always a delivery, and a run when accepted. */
export const INSERT_RUN = `INSERT INTO runs (id, project_id, workflow_id, subscription_id, status, start_params, steps, error, created_at)
  VALUES (@id, @project_id, @workflow_id, @subscription_id, @status, @start_params, @steps, @error, @created_at)`;
export const INSERT_DELIVERY = `INSERT INTO deliveries (id, subscription_id, received_at, status, outcome, reason, run_id, body_sha256, body_bytes)
  VALUES (@id, @subscription_id, @received_at, @status, @outcome, @reason, @run_id, @body_sha256, @body_bytes)`;

export interface RunRecord {
  id: string;
  project_id: string;
  workflow_id: string;
  subscription_id: string;
  status: Run["status"];
  start_params: string;
  steps: string;
  error: string | null;
  created_at: string;
}

export interface IngressRecord {
  run: RunRecord | null;
  delivery: NewDelivery;
}

/** A run as its row; `input` is not stored because it is `start_params.trigger_payload`. */
export function runRecord(projectId: string, run: Run): RunRecord {
  return {
    id: run.id,
    project_id: projectId,
    workflow_id: run.workflow_id,
    subscription_id: run.subscription_id,
    status: run.status,
    start_params: JSON.stringify(run.start_params),
    steps: JSON.stringify(run.steps),
    error: run.error,
    created_at: run.created_at,
  };
}

/** Writes a batch, each record in its own savepoint; answers a failure message or null per record. */
export type IngressSink = (records: IngressRecord[]) => Promise<(string | null)[]>;

interface Pending {
  record: IngressRecord;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Group commit for ingress: records written within one turn of the event loop share one
 * transaction, so concurrent senders pay for one commit instead of one each. A request is
 * answered only once its records have committed.
 */
export class IngressWriter {
  readonly #sink: IngressSink;
  readonly #closeSink: () => Promise<void>;
  #pending: Pending[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(sink: IngressSink, closeSink: () => Promise<void> = async () => {}) {
    this.#sink = sink;
    this.#closeSink = closeSink;
  }

  write(record: IngressRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      this.#scheduled ??= setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const done = this.#sink(batch.map((item) => item.record)).then(
      (failures) => {
        batch.forEach((item, index) => {
          const failure = failures[index];
          if (failure) item.reject(new Error(`ingress write failed: ${failure}`));
          else item.resolve();
        });
      },
      (error: unknown) => {
        for (const item of batch)
          item.reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
    this.#inFlight.add(done);
    done.finally(() => this.#inFlight.delete(done));
  }

  /** Writes what is queued, waits for it, then closes the sink. */
  async close(): Promise<void> {
    this.#flush();
    await Promise.all(this.#inFlight);
    await this.#closeSink();
  }
}

// A CommonJS script because eval workers are scripts; the SQL comes in through workerData.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
db.pragma("wal_autocheckpoint = 0");
const insertRun = db.prepare(workerData.insertRun);
const insertDelivery = db.prepare(workerData.insertDelivery);
const one = db.transaction((record) => {
  if (record.run) insertRun.run(record.run);
  insertDelivery.run(record.delivery);
});
const batch = db.transaction((records) =>
  records.map((record) => {
    try { one(record); return null; } catch (error) { return String((error && error.message) || error); }
  }),
);
const checkpoint = () => { try { db.pragma("wal_checkpoint(PASSIVE)"); } catch { /* busy: next time */ } };
const timer = setInterval(checkpoint, workerData.checkpointMs);
parentPort.on("message", (message) => {
  if (message.type === "close") {
    clearInterval(timer);
    db.close();
    parentPort.postMessage({ type: "closed" });
    return;
  }
  let failures;
  try { failures = batch(message.records); }
  catch (error) { failures = message.records.map(() => String((error && error.message) || error)); }
  parentPort.postMessage({ type: "written", id: message.id, failures });
});
`;

/**
 * An ingress writer whose SQLite work, WAL checkpoints included, runs on its own thread
 * and connection, so the request thread spends its time on HTTP, signatures and JSON.
 */
export function workerIngressWriter(path: string, checkpointMs = 500): IngressWriter {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      path,
      checkpointMs,
      insertRun: INSERT_RUN,
      insertDelivery: INSERT_DELIVERY,
      driver: createRequire(import.meta.url).resolve("better-sqlite3"),
    },
  });
  const waiting = new Map<
    number,
    { resolve: (f: (string | null)[]) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let broken: Error | undefined;
  let closed: (() => void) | undefined;
  worker.on("message", (message: { type: string; id: number; failures: (string | null)[] }) => {
    if (message.type === "closed") closed?.();
    const entry = waiting.get(message.id);
    if (message.type !== "written" || !entry) return;
    waiting.delete(message.id);
    entry.resolve(message.failures);
  });
  const fail = (error: Error) => {
    broken = error;
    for (const entry of waiting.values()) entry.reject(error);
    waiting.clear();
    closed?.();
  };
  worker.on("error", fail);
  worker.on("exit", () => fail(broken ?? new Error("the ingress writer thread exited")));
  return new IngressWriter(
    (records) =>
      new Promise((resolve, reject) => {
        if (broken) return reject(broken);
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ type: "write", id, records });
      }),
    () =>
      new Promise<void>((resolve) => {
        if (broken) return resolve();
        closed = resolve;
        worker.postMessage({ type: "close" });
      }).then(() => worker.terminate().then(() => {})),
  );
}
