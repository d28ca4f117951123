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
 * Group commit for ingress: one batch is written at a time, and every record that arrives
 * meanwhile joins the next, so concurrent senders share one commit (and one fsync) instead
 * of paying for one each. A request is answered only once its records have committed.
 */
export class IngressWriter {
  readonly #sink: IngressSink;
  readonly #closeSink: () => Promise<void>;
  #pending: Pending[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #writing: Promise<void> | undefined;

  constructor(sink: IngressSink, closeSink: () => Promise<void> = async () => {}) {
    this.#sink = sink;
    this.#closeSink = closeSink;
  }

  write(record: IngressRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      if (!this.#writing) this.#scheduled ??= setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#writing || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#writing = this.#sink(batch.map((item) => item.record)).then(
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
    this.#writing.finally(() => {
      this.#writing = undefined;
      this.#flush();
    });
  }

  #closing: Promise<void> | undefined;

  /** Writes what is queued, waits for it, then closes the sink (once, however often called). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#flush();
      while (this.#writing || this.#pending.length > 0) {
        await this.#writing;
        this.#flush();
      }
      await this.#closeSink();
    })();
    return this.#closing;
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

/** A thread of the writer; `close` resolves once it has closed its connection, or has died. */
function threadOf(data: WriterThreadData, onReply: (reply: WriterReply) => void) {
  const worker = startWriterThread(data);
  let exited = false;
  let closed: (() => void) | undefined;
  worker.on("message", (reply: WriterReply) => {
    if (reply.type === "closed") closed?.();
    else onReply(reply);
  });
  worker.once("exit", () => {
    exited = true;
    closed?.();
  });
  return {
    worker,
    send: (message: WriterRequest) => worker.postMessage(message),
    close: async (): Promise<void> => {
      if (exited) return;
      await new Promise<void>((resolve) => {
        closed = resolve;
        worker.postMessage({ type: "close" } satisfies WriterRequest);
      });
      await worker.terminate();
    },
  };
}

/**
 * An ingress writer whose SQLite work runs on its own thread and connection, and whose WAL
 * checkpoints run on a third, so the request thread spends its time on HTTP, signatures and
 * JSON and no commit waits behind a checkpoint.
 */
export function workerIngressWriter(
  path: string,
  options: { checkpointMs?: number; walLimitBytes?: number } = {},
): IngressWriter {
  const data = {
    path,
    checkpointMs: options.checkpointMs ?? 200,
    walLimitBytes: options.walLimitBytes ?? 64 * 1024 * 1024,
  };
  const waiting = new Map<
    number,
    { resolve: (f: (string | null)[]) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let broken: Error | undefined;
  const writer = threadOf({ ...data, role: "writer" }, (reply) => {
    if (reply.type !== "written") return;
    const pending = waiting.get(reply.id);
    if (!pending) return;
    waiting.delete(reply.id);
    pending.resolve(reply.failures);
  });
  const checkpointer = threadOf({ ...data, role: "checkpointer" }, () => {});
  const fail = (error: Error) => {
    broken = error;
    for (const entry of waiting.values()) entry.reject(error);
    waiting.clear();
  };
  writer.worker.on("error", fail);
  writer.worker.on("exit", () => fail(broken ?? new Error("the ingress writer thread exited")));
  // A failed checkpointer only lets the WAL grow; writes go on and close still works.
  checkpointer.worker.on("error", () => {});
  return new IngressWriter(
    (records) =>
      new Promise((resolve, reject) => {
        if (broken) return reject(broken);
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        writer.send({ type: "write", id, records });
      }),
    async () => {
      await Promise.all([writer.close(), checkpointer.close()]);
    },
  );
}
