import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type {
  IngressRecord,
  WriterReply,
  WriterRequest,
  WriterThreadData,
} from "./ingress-rows.js";

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

/**
 * The writer thread: its compiled file beside this one, or (when this module runs from
 * source, as under vitest) a one-line script that loads the source through tsx.
 */
function startWriterThread(workerData: WriterThreadData): Worker {
  const compiled = new URL("./ingress-worker.js", import.meta.url);
  if (existsSync(compiled)) return new Worker(compiled, { workerData });
  const tsx = createRequire(import.meta.url).resolve("tsx/cjs/api");
  const source = fileURLToPath(new URL("./ingress-worker.ts", import.meta.url));
  const [tsxPath, sourcePath] = [JSON.stringify(tsx), JSON.stringify(source)];
  return new Worker(`require(${tsxPath}).require(${sourcePath}, ${sourcePath});`, {
    eval: true,
    workerData,
  });
}

/**
 * An ingress writer whose SQLite work, WAL checkpoints included, runs on its own thread
 * and connection, so the request thread spends its time on HTTP, signatures and JSON.
 */
export function workerIngressWriter(path: string, checkpointMs = 500): IngressWriter {
  const worker = startWriterThread({ path, checkpointMs });
  const waiting = new Map<
    number,
    { resolve: (f: (string | null)[]) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let broken: Error | undefined;
  let closed: (() => void) | undefined;
  const send = (message: WriterRequest) => worker.postMessage(message);
  worker.on("message", (message: WriterReply) => {
    if (message.type === "closed") {
      closed?.();
      return;
    }
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    pending.resolve(message.failures);
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
        send({ type: "write", id, records });
      }),
    () =>
      new Promise<void>((resolve) => {
        if (broken) return resolve();
        closed = resolve;
        send({ type: "close" });
      }).then(() => worker.terminate().then(() => {})),
  );
}
