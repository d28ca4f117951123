import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PageRow } from "../../src/setup-store/page-rows.js";
import { openPostgresSetupStore } from "../../src/setup-store/postgres.js";
import { createSealer } from "../../src/setup-store/seal.js";
import { LOCAL_OWNER, MIGRATIONS, type SetupStore } from "../../src/setup-store/setup-store.js";
import { openSqliteSetupStore } from "../../src/setup-store/sqlite.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/sandbox.js";

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(() => postgres?.stop());

interface Opened {
  open(now: () => number): Promise<SetupStore>;
}

const backends: [string, () => Promise<Opened>][] = [
  [
    "sqlite",
    async () => {
      const path = join(tempDir(), "shared.db");
      return { open: async (now) => openSqliteSetupStore({ path, now, wizardTtlMs: 60_000 }) };
    },
  ],
  [
    "postgres",
    async () => {
      const connectionString = await postgres.createDatabase();
      return {
        open: async (now) => openPostgresSetupStore({ connectionString, now, wizardTtlMs: 60_000 }),
      };
    },
  ],
];

const page = (id: string, over: Partial<PageRow> = {}): PageRow => ({
  id,
  kind: "reveal",
  owner: "owner-a",
  wizardId: null,
  payload: `sealed-${id}`,
  expiresAt: 10_000,
  ...over,
});

describe.each(backends)("the %s store", (_name, prepare) => {
  let clock = 1_000;
  const now = () => clock;
  let opened: Opened;
  const stores: SetupStore[] = [];
  const open = async () => {
    const store = await opened.open(now);
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    opened = await prepare();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  it("migrates once when three replicas start at the same time, and is ready only after", async () => {
    const replicas = [await open(), await open(), await open()];
    expect(await (replicas[0] as SetupStore).ready()).toBe(false);
    await Promise.all(replicas.map((store) => store.migrate()));
    for (const store of replicas) await store.migrate();
    expect(await Promise.all(replicas.map((store) => store.ready()))).toEqual([true, true, true]);
    await (replicas[0] as SetupStore).putPage(page("counted"));
    expect(MIGRATIONS.length).toBeGreaterThan(0);
  });

  it("keeps a setup for its owner only, until it has been idle too long", async () => {
    const store = await open();
    await store.migrate();
    expect(
      await store
        .setupsOf("owner-a")
        .save("w1", { value: "choosingKey", context: { name: "orders" } }, 0),
    ).toBe(true);
    expect(await store.setupsOf("owner-a").load("w1")).toEqual({
      state: "found",
      snapshot: { value: "choosingKey", context: { name: "orders" } },
      version: 1,
    });
    expect(await store.setupsOf("owner-b").load("w1")).toEqual({ state: "missing" });
    expect(await store.setupsOf("owner-a").load("nope")).toEqual({ state: "missing" });
    // Another owner cannot overwrite it either.
    expect(await store.setupsOf("owner-b").save("w1", { value: "hijacked" }, 1)).toBe(false);
    expect(await store.setupsOf("owner-a").load("w1")).toMatchObject({
      snapshot: { value: "choosingKey" },
    });
    expect(await store.countOpenWizards()).toBeGreaterThanOrEqual(1);
    clock += 60_001;
    expect(await store.setupsOf("owner-a").load("w1")).toEqual({ state: "expired" });
    expect(await store.setupsOf("owner-a").load("w1")).toEqual({ state: "missing" });
  });

  it("writes a setup only over the version it was read at, so two replicas cannot both move it", async () => {
    const [one, two] = [await open(), await open()];
    await one.migrate();
    expect(await one.setupsOf("owner-a").save("w2", { value: "naming" }, 0)).toBe(true);
    // A second start with the same id (version 0 again) must not replace it.
    expect(await two.setupsOf("owner-a").save("w2", { value: "other" }, 0)).toBe(false);
    const read = await two.setupsOf("owner-a").load("w2");
    expect(read).toMatchObject({ state: "found", version: 1 });
    const writes = await Promise.all([
      one.setupsOf("owner-a").save("w2", { value: "choosingKey" }, 1),
      two.setupsOf("owner-a").save("w2", { value: "noKeys" }, 1),
    ]);
    expect(writes.filter(Boolean)).toHaveLength(1);
    const after = await one.setupsOf("owner-a").load("w2");
    expect(after).toMatchObject({ version: 2 });
    expect(await one.setupsOf("owner-a").save("w2", { value: "extras" }, 2)).toBe(true);
    expect(await one.setupsOf("owner-a").load("w2")).toMatchObject({
      snapshot: { value: "extras" },
      version: 3,
    });
  });

  it("hands a page's payload out exactly once, even to ten callers on three replicas at once", async () => {
    const replicas = [await open(), await open(), await open()];
    const first = replicas[0] as SetupStore;
    await first.migrate();
    await first.putPage(page("race", { expiresAt: clock + 10_000 }));
    expect(await replicas[1]?.getPage("race")).toMatchObject({
      state: "live",
      page: { payload: "sealed-race", owner: "owner-a", kind: "reveal" },
    });
    const takes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (replicas[i % 3] as SetupStore).consumePage("race")),
    );
    const winners = takes.filter((taken) => taken !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ id: "race", payload: "sealed-race" });
    expect(await replicas[2]?.getPage("race")).toEqual({ state: "spent" });
    expect(await first.consumePage("race")).toBeUndefined();
    expect(await first.dump()).not.toContain("sealed-race");
    expect(await first.getPage("never-issued")).toEqual({ state: "missing" });
  });

  it("wipes an expired page, which then answers as spent and cannot be taken", async () => {
    const store = await open();
    await store.migrate();
    await store.putPage(page("late", { expiresAt: clock + 5 }));
    clock += 5;
    expect(await store.getPage("late")).toEqual({ state: "spent" });
    expect(await store.consumePage("late")).toBeUndefined();
    expect(await store.expirePages()).toBeGreaterThanOrEqual(1);
    expect(await store.dump()).not.toContain("sealed-late");
    expect(await store.expirePages()).toBe(0);
    clock += 25 * 3600 * 1000;
    await store.expirePages();
    expect(await store.getPage("late")).toEqual({ state: "missing" });
  });

  it("finds the live paste page of a setup for its owner", async () => {
    const store = await open();
    await store.migrate();
    await store.putPage(
      page("paste-1", { kind: "paste", wizardId: "w9", expiresAt: clock + 1_000 }),
    );
    expect(await store.livePaste("w9", "owner-a")).toMatchObject({ id: "paste-1", kind: "paste" });
    expect(await store.livePaste("w9", "owner-b")).toBeUndefined();
    await store.consumePage("paste-1");
    expect(await store.livePaste("w9", "owner-a")).toBeUndefined();
    await store.putPage(
      page("paste-2", { kind: "paste", wizardId: "w9", owner: null, expiresAt: clock + 1_000 }),
    );
    expect(await store.livePaste("w9", null)).toMatchObject({ id: "paste-2" });
  });

  it("keeps sealed values until deleted or expired", async () => {
    const store = await open();
    await store.migrate();
    await store.putSealed("pat:w1", "v1.first", clock + 100);
    await store.putSealed("pat:w1", "v1.second", clock + 100);
    expect(await store.peekSealed("pat:w1")).toBe("v1.second");
    await store.deleteSealed("pat:w1");
    expect(await store.peekSealed("pat:w1")).toBeUndefined();
    await store.putSealed("pat:w2", "v1.x", clock + 100);
    clock += 100;
    expect(await store.peekSealed("pat:w2")).toBeUndefined();
    await store.purge();
    expect(await store.dump()).not.toContain("v1.x");
  });
});

describe("a wizard file from before the setup store", () => {
  it("keeps its setups as local ones, at version 1", async () => {
    const path = join(tempDir(), "wizards.db");
    const old = new Database(path);
    old.exec(
      "CREATE TABLE wizards (id TEXT PRIMARY KEY, snapshot TEXT NOT NULL, updated_at INTEGER NOT NULL)",
    );
    old
      .prepare("INSERT INTO wizards VALUES (?, ?, ?)")
      .run("w-old", '{"value":"naming"}', Date.now());
    old.close();
    const store = openSqliteSetupStore({ path });
    try {
      await store.migrate();
      expect(await store.ready()).toBe(true);
      const local = store.setupsOf(LOCAL_OWNER);
      expect(await local.load("w-old")).toEqual({
        state: "found",
        snapshot: { value: "naming" },
        version: 1,
      });
      expect(await local.save("w-old", { value: "choosingKey" }, 1)).toBe(true);
      expect(await store.setupsOf("someone-else").load("w-old")).toEqual({ state: "missing" });
    } finally {
      await store.close();
    }
  });
});

describe("sealing", () => {
  const key = "k".repeat(40);

  it("opens only with the same key and the same bound id", () => {
    const sealer = createSealer(key);
    const sealed = sealer.seal("whsec_topsecret", "page-1");
    expect(sealed).not.toContain("whsec_topsecret");
    expect(sealer.open(sealed, "page-1")).toBe("whsec_topsecret");
    expect(sealer.open(sealed, "page-2")).toBeUndefined();
    expect(createSealer("z".repeat(40)).open(sealed, "page-1")).toBeUndefined();
    expect(sealer.open("garbage", "page-1")).toBeUndefined();
    expect(sealer.open(`${sealed.slice(0, -2)}AA`, "page-1")).toBeUndefined();
    expect(sealer.seal("same", "id")).not.toBe(sealer.seal("same", "id"));
  });

  it("refuses a short key", () => {
    expect(() => createSealer("short")).toThrow(/at least 32 characters/);
  });
});
