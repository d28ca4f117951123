import { randomBytes } from "node:crypto";
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { startCheckpointer } from "../../src/sandbox/checkpointer.js";
import { SandboxDatabase } from "../../src/sandbox/database.js";
import { type IngressRecord, timeOrderedId } from "../../src/sandbox/ingress-rows.js";
import { IngressWriter } from "../../src/sandbox/ingress-writer.js";
import { SecretBox } from "../../src/sandbox/secrets.js";
import { tempDir } from "../helpers/sandbox.js";

const record = (id: string, filler = 0): IngressRecord => ({
  run: null,
  delivery: {
    id,
    subscription_id: "s",
    received_at: "2026-11-27T00:00:00.000Z",
    status: 401,
    outcome: "rejected",
    reason: "invalid_signature".padEnd(filler, "."),
    run_id: null,
    body_sha256: null,
    body_bytes: 0,
  },
});

describe("IngressWriter", () => {
  it("writes records queued in one turn as one batch", async () => {
    const batches: string[][] = [];
    const writer = new IngressWriter((records) => {
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

  it("rejects only the record that failed, with its own error", async () => {
    const refusal = new Error("UNIQUE constraint failed");
    const writer = new IngressWriter((records) =>
      records.map((r) => (r.delivery.id === "bad" ? refusal : null)),
    );
    const results = await Promise.allSettled([
      writer.write(record("ok")),
      writer.write(record("bad")),
    ]);
    expect(results).toEqual([
      { status: "fulfilled", value: undefined },
      { status: "rejected", reason: refusal },
    ]);
  });

  it("rejects the whole batch when the sink throws", async () => {
    const writer = new IngressWriter(() => {
      throw new Error("disk full");
    });
    const results = await Promise.allSettled([
      writer.write(record("a")),
      writer.write(record("b")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });

  it("close writes what is queued, and refuses what comes after", async () => {
    const written: string[] = [];
    const writer = new IngressWriter((records) => {
      written.push(...records.map((r) => r.delivery.id));
      return records.map(() => null);
    });
    const queued = writer.write(record("a"));
    writer.close();
    expect(written).toEqual(["a"]);
    await queued;
    await expect(writer.write(record("late"))).rejects.toThrow(/closed/);
  });
});

function openDatabase(path: string): SandboxDatabase {
  return new SandboxDatabase({
    path,
    box: new SecretBox(randomBytes(32)),
    ingressBase: () => "http://127.0.0.1:1",
  });
}

function withDatabase(run: (database: SandboxDatabase, path: string) => void | Promise<void>) {
  return async () => {
    const dir = tempDir("arw-writes-");
    const path = join(dir, "sandbox.db");
    const database = openDatabase(path);
    try {
      await run(database, path);
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const storedIds = (database: SandboxDatabase) =>
  (database.db.prepare("SELECT id FROM deliveries ORDER BY seq").all() as { id: string }[]).map(
    (row) => row.id,
  );

describe("ingress records in the database", () => {
  it(
    "are committed in WAL mode with a full sync, so a commit that returned is on disk",
    withDatabase((database) => {
      expect(database.db.pragma("journal_mode", { simple: true })).toBe("wal");
      // 2 is FULL: NORMAL (1) in WAL mode may lose the last commits to a power cut.
      expect(database.db.pragma("synchronous", { simple: true })).toBe(2);
    }),
  );

  it(
    "keep the rest of a batch when one record fails, and say which",
    withDatabase((database) => {
      database.writeIngressRecords([record("taken")]);
      const failures = database.writeIngressRecords([
        record("first"),
        record("taken"),
        record("last"),
      ]);
      expect(failures[0]).toBeNull();
      expect(failures[1]).toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE" });
      expect(failures[2]).toBeNull();
      expect(storedIds(database)).toEqual(["taken", "first", "last"]);
      expect(database.writable()).toBe(true);
    }),
  );

  it(
    "fail as storage_unavailable when the database cannot grow, and commit again once it can",
    withDatabase((database) => {
      const db = database.db;
      db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true })}`);
      const failures = database.writeIngressRecords([record("big", 40_000), record("small")]);
      expect(failures[0]).toMatchObject({ status: 503, code: "storage_unavailable" });
      expect(database.writable()).toBe(false);
      db.pragma("max_page_count = 1073741823");
      expect(database.writable()).toBe(true);
      expect(database.writeIngressRecords([record("after", 40_000)])).toEqual([null]);
      expect(storedIds(database)).not.toContain("big");
      expect(storedIds(database)).toContain("after");
    }),
  );

  it(
    "fail as storage_unavailable while another process holds the write lock",
    withDatabase((database, path) => {
      database.db.pragma("busy_timeout = 50");
      const other = new Database(path);
      try {
        other.exec("BEGIN IMMEDIATE");
        expect(database.writeIngressRecords([record("a"), record("b")])).toEqual([
          expect.objectContaining({ code: "storage_unavailable" }),
          expect.objectContaining({ code: "storage_unavailable" }),
        ]);
        other.exec("COMMIT");
        expect(database.writeIngressRecords([record("c")])).toEqual([null]);
        expect(storedIds(database)).toEqual(["c"]);
      } finally {
        if (other.inTransaction) other.exec("ROLLBACK");
        other.close();
      }
    }),
  );
});

describe("the checkpointer thread", () => {
  it(
    "copies committed rows from the WAL into the database file, so commits never do",
    withDatabase(async (database, path) => {
      database.db.pragma("wal_checkpoint(TRUNCATE)");
      const before = statSync(path).size;
      const checkpoints = startCheckpointer(database.db, 5);
      try {
        expect(database.db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
        for (let batch = 0; batch < 30; batch += 1) {
          database.writeIngressRecords(
            Array.from({ length: 10 }, (_, i) => record(`row-${batch}-${i}`, 2000)),
          );
        }
        // Nothing on this connection checkpoints: only the thread can make the file grow.
        for (let tries = 0; tries < 400 && statSync(path).size <= before; tries += 1) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(statSync(path).size).toBeGreaterThan(before);
      } finally {
        await checkpoints.close();
      }
    }),
  );
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
