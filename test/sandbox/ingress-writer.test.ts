import { randomBytes } from "node:crypto";
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type IngressRecord, timeOrderedId } from "../../src/sandbox/ingress-rows.js";
import { IngressWriter, workerIngressWriter } from "../../src/sandbox/ingress-writer.js";
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

describe("workerIngressWriter", () => {
  it("writes on its own thread to the database file, and a duplicate fails alone", async () => {
    const dir = tempDir("arw-writer-");
    const path = join(dir, "sandbox.db");
    const store = new SandboxStore({
      path,
      box: new SecretBox(randomBytes(32)),
      ingressBase: () => "http://127.0.0.1:1",
    });
    const writer = workerIngressWriter(path, { checkpointMs: 10 });
    try {
      const results = await Promise.allSettled([
        writer.write(record("first")),
        writer.write(record("second")),
        writer.write(record("first")),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        "fulfilled",
        "fulfilled",
        "rejected",
      ]);
      expect(results[2]).toMatchObject({ reason: { message: /UNIQUE constraint failed/ } });
      await writer.close();
      await expect(writer.write(record("late"))).rejects.toThrow(/exited|closed/);
      const stored = store.db.prepare("SELECT id FROM deliveries ORDER BY seq").all();
      expect(stored).toEqual([{ id: "first" }, { id: "second" }]);
    } finally {
      await writer.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a writer thread that cannot open its database", () => {
  it("rejects the writes and still closes", async () => {
    const dir = tempDir("arw-writer-dead-");
    const writer = workerIngressWriter(join(dir, "missing", "sandbox.db"));
    try {
      await expect(writer.write(record("lost"))).rejects.toThrow(/unable to open|directory/i);
      await expect(writer.close()).resolves.toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the checkpointer thread", () => {
  it("copies committed rows from the WAL into the database file off the writer's thread", async () => {
    const dir = tempDir("arw-checkpoint-");
    const path = join(dir, "sandbox.db");
    const store = new SandboxStore({
      path,
      box: new SecretBox(randomBytes(32)),
      ingressBase: () => "http://127.0.0.1:1",
    });
    store.db.pragma("wal_checkpoint(TRUNCATE)");
    const before = statSync(path).size;
    const writer = workerIngressWriter(path, { checkpointMs: 5, walLimitBytes: 0 });
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => writer.write(record(`row-${i}`))));
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
