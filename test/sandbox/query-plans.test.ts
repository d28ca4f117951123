import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SandboxDatabase } from "../../src/sandbox/database.js";
import { LIST_QUERIES } from "../../src/sandbox/list-queries.js";
import { SecretBox } from "../../src/sandbox/secrets.js";
import { tempDir } from "../helpers/sandbox.js";

const dir = tempDir("arw-plans-");
const store = new SandboxDatabase({
  path: join(dir, "sandbox.db"),
  box: new SecretBox(randomBytes(32)),
  ingressBase: () => "http://127.0.0.1:1",
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const PARAMETERS = {
  projectId: "p",
  workflowId: "w",
  subscriptionId: "s",
  before: Number.MAX_SAFE_INTEGER,
  take: 51,
};

/** The steps of a query's plan that read a whole table or sort outside an index. */
function fullScans(sql: string): string[] {
  const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(PARAMETERS) as {
    detail: string;
  }[];
  return plan
    .map((step) => step.detail)
    .filter((detail) => /^SCAN\b/.test(detail) || /TEMP B-TREE/.test(detail));
}

describe("list query plans", () => {
  it.each(Object.entries(LIST_QUERIES))("%s searches an index for every filter", (_name, sql) => {
    expect(fullScans(sql)).toEqual([]);
  });

  it("the check flags a filter no index covers and a sort outside one", () => {
    expect(fullScans("SELECT id FROM runs WHERE status = @projectId")).toEqual(["SCAN runs"]);
    expect(
      fullScans(
        "SELECT id FROM deliveries WHERE subscription_id = @subscriptionId ORDER BY status",
      ),
    ).toEqual([expect.stringMatching(/TEMP B-TREE FOR ORDER BY/)]);
  });

  it("every list query the store runs is one checked here", () => {
    const prepared = new Set<string>();
    const prepare = store.db.prepare.bind(store.db);
    store.db.prepare = ((sql: string) => {
      prepared.add(sql);
      return prepare(sql);
    }) as typeof store.db.prepare;
    try {
      store.listRuns("p", {}, 10);
      store.listRuns("p", { subscriptionId: "s" }, 10);
      store.listRuns("p", { workflowId: "w" }, 10);
      store.listRuns("p", { subscriptionId: "s", workflowId: "w" }, 10);
      store.listSubscriptions("p", {}, 10);
      store.listSubscriptions("p", { workflowId: "w" }, 10);
      store.listDeliveries("s", 10);
      store.listWorkflows("p", 10);
      store.listApiKeys("p", 10);
    } finally {
      store.db.prepare = prepare;
    }
    const known = new Set<string>(Object.values(LIST_QUERIES));
    expect([...prepared].filter((sql) => !known.has(sql))).toEqual([]);
    expect(prepared.size).toBe(known.size);
  });
});
