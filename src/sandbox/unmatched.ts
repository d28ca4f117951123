import type { UnmatchedIngress } from "./database.js";

/**
 * Counts ingress attempts that match no subscription in memory and writes the totals at
 * most once per `flushMs`, so anonymous traffic costs a few counters, not a row per request.
 */
export class UnmatchedIngressTally {
  readonly #write: (counts: UnmatchedIngress[]) => void;
  readonly #flushMs: number;
  readonly #counts = new Map<string, UnmatchedIngress>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(write: (counts: UnmatchedIngress[]) => void, flushMs = 1000) {
    this.#write = write;
    this.#flushMs = flushMs;
  }

  /** Counts one attempt under the UTC day of `receivedAt`, its status and its reason. */
  add(receivedAt: string, status: number, reason: string): void {
    const day = receivedAt.slice(0, 10);
    const key = `${day} ${status} ${reason}`;
    const count = this.#counts.get(key);
    if (count) count.attempts += 1;
    else this.#counts.set(key, { day, status, reason, attempts: 1 });
    this.#timer ??= setTimeout(() => this.flush(), this.#flushMs).unref();
  }

  /** Writes what has been counted since the last write. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#counts.size === 0) return;
    const counts = [...this.#counts.values()];
    try {
      this.#write(counts);
      this.#counts.clear();
    } catch {
      // Storage refused the write (a full disk): the counts stay and go with the next one.
      if (!this.#closed) this.#timer = setTimeout(() => this.flush(), this.#flushMs).unref();
    }
  }

  /** Writes what is counted one last time; nothing is tried again once the database closes. */
  close(): void {
    this.#closed = true;
    this.flush();
  }
}
