import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { registerIdFunctions } from "./ids.js";
import { type DurablePosition, IngressAppender } from "./ingress-appender.js";
import { ingressLogDir, type ReplayReport, replayIngressLog } from "./ingress-log.js";
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
export class IngressWriter implements IngressStorage {
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

  /** The sink is the store itself, so a record answered is already readable. */
  settled(): Promise<void> {
    return Promise.resolve();
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

/** Where accepted and refused ingress attempts go, and when they can be read back. */
export interface IngressStorage {
  /** Resolves once the record is durable; ingress answers only then. */
  write(record: IngressRecord): Promise<void>;
  /** Resolves once every record answered so far can be read from the store. */
  settled(): Promise<void>;
  /** Writes what is queued, then stops; later writes are refused. */
  close(): Promise<void>;
}

/** Options of the logged writer; the defaults suit the sandbox, tests make them small. */
export interface LoggedWriterOptions {
  checkpointMs?: number;
  walLimitBytes?: number;
  /** A segment of the log is closed and a new one started past this size. */
  segmentBytes?: number;
  /** Under load, the least time between two copies into SQLite, unless a read waits for one. */
  copyPauseMs?: number;
  /** How long the copier waits for another connection's write lock before its copy fails. */
  busyTimeoutMs?: number;
}

interface Settling {
  seq: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Ingress storage for a database file: each record is appended to the ingress log and
 * fsync'd with its batch on the request thread's I/O pool, then copied into SQLite by a thread
 * of its own; checkpoints run on a third. What the log held at a crash is copied first, here,
 * before anything new is appended. `settled` waits for the copier, so a read after a 202 sees
 * its delivery.
 */
export function loggedIngressWriter(
  path: string,
  options: LoggedWriterOptions = {},
): IngressStorage & { replayed: ReplayReport } {
  const logDir = ingressLogDir(path);
  const replay = replayOnce(path, logDir);
  const data = {
    path,
    logDir,
    checkpointMs: options.checkpointMs ?? 200,
    walLimitBytes: options.walLimitBytes ?? 64 * 1024 * 1024,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
  };
  let copied = 0;
  let broken: Error | undefined;
  const settling: Settling[] = [];
  const fail = (error: Error) => {
    broken ??= error;
    for (const entry of settling.splice(0)) entry.reject(broken);
  };
  const copier = threadOf({ ...data, role: "copier" }, (reply) => {
    if (reply.type === "failed") return fail(new Error(`ingress copy failed: ${reply.message}`));
    if (reply.type !== "copied") return;
    copied = Math.max(copied, reply.seq);
    while (settling.length > 0 && (settling[0] as Settling).seq <= copied)
      settling.shift()?.resolve();
    requests.answered();
  });
  const requests = copyRequests((request) => copier.send(request), options.copyPauseMs ?? 20);
  const checkpointer = threadOf({ ...data, role: "checkpointer" }, () => {});
  let closing = false;
  copier.worker.on("error", (error) =>
    fail(new Error(`the ingress copier failed: ${describe(error)}`)),
  );
  copier.worker.on("exit", () => {
    if (!closing) fail(new Error("the ingress copier thread exited"));
  });
  // A failed checkpointer only lets the WAL grow; writes go on and close still works.
  checkpointer.worker.on("error", () => {});
  const appender = new IngressAppender({
    dir: logDir,
    segment: replay.nextSegment,
    segmentBytes: options.segmentBytes ?? 64 * 1024 * 1024,
    onDurable: (position) => requests.durable(position),
  });
  return {
    replayed: replay,
    write: (record) => (broken && !closing ? Promise.reject(broken) : appender.append(record)),
    settled() {
      const seq = appender.durableSeq;
      if (copied >= seq) return Promise.resolve();
      if (broken) return Promise.reject(broken);
      requests.hurry();
      return new Promise((resolve, reject) => settling.push({ seq, resolve, reject }));
    },
    async close() {
      closing = true;
      await appender.close();
      requests.last();
      await Promise.all([copier.close(), checkpointer.close()]);
    },
  };
}

/**
 * Asks the copier for one copy at a time, each up to where the log is durable when it is sent:
 * a message per written batch would cost the request thread more than the copies save. Under
 * load copies are spaced `pauseMs` apart, so each is a larger transaction (a commit's cost is
 * mostly per transaction), unless a read is waiting for one (`hurry`). Where a segment ended
 * travels with the request, so the copier reads no zeros past it.
 */
function copyRequests(send: (request: WriterRequest) => void, pauseMs: number) {
  let last: DurablePosition | undefined;
  let unsent = false;
  let waiting = false;
  let hurried = false;
  let sentAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  const ends: [number, number][] = [];
  const next = () => {
    if (!last || !unsent || waiting) return;
    const early = sentAt + pauseMs - performance.now();
    if (early > 0 && !hurried) {
      timer ??= setTimeout(() => {
        timer = undefined;
        next();
      }, early);
      return;
    }
    clearTimeout(timer);
    timer = undefined;
    send({ type: "copy", ...last, ends: ends.splice(0) });
    sentAt = performance.now();
    unsent = false;
    hurried = false;
    waiting = true;
  };
  return {
    durable(position: DurablePosition): void {
      if (last && position.segment > last.segment) ends.push([last.segment, last.offset]);
      last = position;
      unsent = true;
      next();
    },
    answered(): void {
      waiting = false;
      next();
    },
    hurry(): void {
      hurried = true;
      next();
    },
    /** Sends what is left at once, copy in flight or not: the copier is about to close. */
    last(): void {
      clearTimeout(timer);
      waiting = false;
      hurried = true;
      next();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** Copies what a crash left in the log into SQLite, on a connection opened for that alone. */
function replayOnce(path: string, logDir: string): ReplayReport & { nextSegment: number } {
  const db = new Database(path);
  try {
    registerIdFunctions(db);
    db.pragma("busy_timeout = 5000");
    return replayIngressLog(db, logDir);
  } finally {
    db.close();
  }
}
