import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ingressLogDir, listSegments } from "../../src/sandbox/ingress-log.js";
import { type IngressRecord, timeOrderedId } from "../../src/sandbox/ingress-rows.js";
import { IngressWriter, loggedIngressWriter } from "../../src/sandbox/ingress-writer.js";
import { SecretBox } from "../../src/sandbox/secrets.js";
import { SandboxStore } from "../../src/sandbox/store.js";
import { tempDir } from "../helpers/sandbox.js";

const record = (id: string): IngressRecord => ({
  run: null,
  delivery: {
    id,
    subscription_id: "s",
    received_at: "2026-11-27T00:00:00.000Z",
    status: 401,
    outcome: "rejected",
    reason: "invalid_signature",
    run_id: null,
    body_sha256: null,
    body_bytes: 0,
  },
});

describe("IngressWriter", () => {
  it("writes records queued in one turn as one batch", async () => {
    const batches: string[][] = [];
    const writer = new IngressWriter(async (records) => {
      batches.push(records.map((r) => r.delivery.id));
      return records.map(() => null);
    });
    await Promise.all([
      writer.write(record("a")),
      writer.write(record("b")),
      writer.write(record("c")),
    ]);
    await writer.write(record("d"));
    expect(batches).toEqual([["a", "b", "c"], ["d"]]);
  });

  it("writes one batch at a time; what arrives meanwhile goes in the next", async () => {
    const batches: string[][] = [];
    let release: () => void = () => {};
    const writer = new IngressWriter(
      (records) =>
        new Promise((resolve) => {
          batches.push(records.map((r) => r.delivery.id));
          release = () => resolve(records.map(() => null));
        }),
    );
    const first = writer.write(record("a"));
    await new Promise((resolve) => setImmediate(resolve));
    const later = [writer.write(record("b")), writer.write(record("c"))];
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([["a"]]);
    release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([["a"], ["b", "c"]]);
    release();
    await Promise.all(later);
  });

  it("rejects only the record that failed", async () => {
    const writer = new IngressWriter(async (records) =>
      records.map((r) => (r.delivery.id === "bad" ? "UNIQUE constraint failed" : null)),
    );
    const results = await Promise.allSettled([
      writer.write(record("ok")),
      writer.write(record("bad")),
    ]);
    expect(results[0]).toEqual({ status: "fulfilled", value: undefined });
    expect(results[1]).toMatchObject({
      status: "rejected",
      reason: { message: /UNIQUE constraint failed/ },
    });
  });

  it("rejects the whole batch when the sink fails", async () => {
    const writer = new IngressWriter(async () => {
      throw new Error("disk full");
    });
    const results = await Promise.allSettled([
      writer.write(record("a")),
      writer.write(record("b")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });

  it("close writes what is queued and waits for it before closing the sink", async () => {
    const events: string[] = [];
    let release: () => void = () => {};
    const writer = new IngressWriter(
      (records) =>
        new Promise((resolve) => {
          events.push(`write ${records.length}`);
          release = () => resolve(records.map(() => null));
        }),
      async () => {
        events.push("sink closed");
      },
    );
    const written = writer.write(record("a"));
    const closing = writer.close();
    expect(events).toEqual(["write 1"]);
    release();
    await closing;
    await written;
    expect(events).toEqual(["write 1", "sink closed"]);
  });
});

function openStore(path: string): SandboxStore {
  return new SandboxStore({
    path,
    box: new SecretBox(randomBytes(32)),
    ingressBase: () => "http://127.0.0.1:1",
  });
}

const storedIds = (store: SandboxStore) =>
  store.db.prepare("SELECT id FROM deliveries ORDER BY seq").all();

describe("loggedIngressWriter", () => {
  it("makes each record durable in the log, and copies it into the database before settling", async () => {
    const dir = tempDir("arw-writer-");
    const path = join(dir, "sandbox.db");
    const store = openStore(path);
    const writer = loggedIngressWriter(path, { checkpointMs: 10 });
    try {
      await Promise.all([writer.write(record("first")), writer.write(record("second"))]);
      await writer.settled();
      expect(storedIds(store)).toEqual([{ id: "first" }, { id: "second" }]);
      await writer.write(record("third"));
      await writer.settled();
      expect(storedIds(store)).toHaveLength(3);
      await writer.close();
      await expect(writer.write(record("late"))).rejects.toThrow(/closed/);
    } finally {
      await writer.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts a new segment past its size and deletes each one it has copied", async () => {
    const dir = tempDir("arw-segments-");
    const path = join(dir, "sandbox.db");
    const logDir = ingressLogDir(path);
    const store = openStore(path);
    const writer = loggedIngressWriter(path, { segmentBytes: 1024 });
    let written = 0;
    try {
      // The next segment is prepared in the background, so how many batches fill one varies;
      // write until two segments were finished and deleted (bounded).
      for (let batch = 0; batch < 2000 && (listSegments(logDir)[0] ?? 0) <= 2; batch += 1) {
        await Promise.all(
          Array.from({ length: 5 }, (_, i) => writer.write(record(`row-${batch}-${i}`))),
        );
        written += 5;
        await writer.settled();
      }
      expect(listSegments(logDir)[0]).toBeGreaterThan(2);
      expect(storedIds(store)).toHaveLength(written);
      await writer.close();
      // What is left (the last segment written and, at most, the next one, prepared but
      // unused) is copied to its end, so a restart copies nothing.
      expect(listSegments(logDir).length).toBeLessThanOrEqual(2);
      const reopened = loggedIngressWriter(path);
      await reopened.close();
      expect(reopened.replayed.records).toBe(0);
      expect(storedIds(store)).toHaveLength(written);
    } finally {
      await writer.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a copy that fails", () => {
  it("is made again from the last committed position, so nothing answered is skipped", async () => {
    const dir = tempDir("arw-copy-fails-");
    const path = join(dir, "sandbox.db");
    const store = openStore(path);
    const writer = loggedIngressWriter(path, { busyTimeoutMs: 300, copyPauseMs: 0 });
    const lock = new Database(path);
    try {
      await writer.write(record("before"));
      await writer.settled();
      // Another connection holds the write lock: the copy of "first" waits, then fails.
      lock.exec("BEGIN IMMEDIATE");
      await writer.write(record("first"));
      // Made durable while that copy waits, so it is still to be sent when the copy fails.
      await writer.write(record("second"));
      await expect(writer.settled()).rejects.toThrow(/locked|busy/i);
      lock.exec("COMMIT");
      await writer.close();
      const reopened = loggedIngressWriter(path);
      await reopened.close();
      expect(storedIds(store)).toEqual([{ id: "before" }, { id: "first" }, { id: "second" }]);
    } finally {
      if (lock.inTransaction) lock.exec("ROLLBACK");
      lock.close();
      await writer.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a copier thread that cannot open its database", () => {
  it("fails the reads that wait for it and still closes", async () => {
    const dir = tempDir("arw-writer-dead-");
    const path = join(dir, "sandbox.db");
    openStore(path).close();
    const writer = loggedIngressWriter(path);
    // The copier opens the database after this; a folder in its place cannot be opened.
    rmSync(path);
    mkdirSync(path);
    try {
      await writer.write(record("kept-in-the-log")).catch(() => {});
      await expect(writer.settled()).rejects.toThrow(/ingress|directory|open/i);
      await expect(writer.close()).resolves.toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the checkpointer thread", () => {
  it("copies committed rows from the WAL into the database file off the copier's thread", async () => {
    const dir = tempDir("arw-checkpoint-");
    const path = join(dir, "sandbox.db");
    const store = openStore(path);
    store.db.pragma("wal_checkpoint(TRUNCATE)");
    const before = statSync(path).size;
    const writer = loggedIngressWriter(path, { checkpointMs: 5, walLimitBytes: 0 });
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => writer.write(record(`row-${i}`))));
      await writer.settled();
      // Nothing here checkpoints: only the checkpointer can make the file grow.
      for (let tries = 0; tries < 400 && statSync(path).size <= before; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(statSync(path).size).toBeGreaterThan(before);
    } finally {
      await writer.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("timeOrderedId", () => {
  it("is a version 7 UUID that sorts by its millisecond", () => {
    const ids = [5, 1_700_000_000_000, 1_700_000_000_001, 2 ** 48 - 1].map(timeOrderedId);
    for (const id of ids) {
      expect(z.uuid({ version: "v7" }).safeParse(id).success).toBe(true);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(ids[1]?.slice(0, 13)).toBe("018bcfe5-6800");
    expect(new Set(Array.from({ length: 1000 }, () => timeOrderedId(1))).size).toBe(1000);
  });
});
