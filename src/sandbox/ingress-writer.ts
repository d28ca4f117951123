import type { IngressRecord } from "./ingress-rows.js";

/** Writes records in one transaction; answers per record null once committed, or its error. */
export type IngressSink = (records: readonly IngressRecord[]) => readonly (unknown | null)[];

interface Pending {
  record: IngressRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for ingress: records that arrive in one turn of the event loop are written
 * together after it, so concurrent senders share one commit (and one fsync) instead of paying
 * for one each. A request is answered only once the commit that holds its records returned.
 */
export class IngressWriter {
  readonly #sink: IngressSink;
  #pending: Pending[] = [];
  #scheduled = false;
  #closed = false;

  constructor(sink: IngressSink) {
    this.#sink = sink;
  }

  /** Resolves once the record is committed; rejects with the error that kept it out. */
  write(record: IngressRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the ingress writer is closed"));
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    let failures: readonly (unknown | null)[];
    try {
      failures = this.#sink(batch.map((item) => item.record));
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, index) => {
      const failure = failures[index];
      if (failure === null || failure === undefined) item.resolve();
      else item.reject(failure);
    });
  }

  /** Writes what is queued now; later writes are refused. */
  close(): void {
    this.#closed = true;
    this.#flush();
  }
}
