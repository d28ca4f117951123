/**
 * Memory-only holders for the two plaintexts the wizard touches: a pasted PAT (kept until
 * create uses it) and a new signing secret (kept until it is revealed). Neither is ever in a
 * snapshot, a log or a tool result; each entry expires, and `take` removes what it returns.
 */
export class MemoryVault {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  put(key: string, value: string): void {
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
  }

  has(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#now()) this.#entries.delete(key);
    return this.#entries.has(key);
  }

  take(key: string): string | undefined {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    return entry && entry.expiresAt > this.#now() ? entry.value : undefined;
  }

  clear(): void {
    this.#entries.clear();
  }
}
