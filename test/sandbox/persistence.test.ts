import { existsSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { migrate } from "../../src/sandbox/migrations.js";
import { sendSigned, startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

const opened: TestSandbox[] = [];
afterEach(async () => {
  for (const sandbox of opened.splice(0)) await sandbox.close();
});

async function open(dir: string) {
  const sandbox = await startTestSandbox({ dir });
  opened.push(sandbox);
  return sandbox;
}

describe("storage", () => {
  it("keeps subscriptions, secrets, runs, deliveries, tokens and PATs across a restart", async () => {
    const dir = tempDir();
    const first = await open(dir);
    const created = await first.api("/v1/inbound-webhooks", {
      body: {
        workflow_id: first.shopify.id,
        name: "survives-restart",
        automation_pat_id: first.vaultKey.id,
        extras: { trigger_payload: { source: "shopify" } },
      },
    });
    const secret = created.body.signing_secret as string;
    const accepted = await sendSigned(created.body.ingress_url, JSON.stringify({ order_id: "1" }), {
      secret,
      pat: first.vaultKey.pat,
    });
    expect(accepted.status).toBe(202);
    await first.close();
    opened.pop();

    const second = await open(dir);
    expect(second.tokens).toEqual(first.tokens);
    expect(second.api_keys).toEqual(first.api_keys);
    expect(second.workflows).toEqual(first.workflows);
    expect(second.url).not.toBe(""); // a new port, so ingress URLs follow it
    const got = await second.api(`/v1/inbound-webhooks/${created.body.subscription.id}`);
    expect(got.body.subscription).toMatchObject({
      name: "survives-restart",
      extras: { use_run_setup_defaults: false, trigger_payload: { source: "shopify" } },
      ingress_url: `${second.url}${created.body.ingress_path}`,
    });
    expect((await second.api(`/v1/runs/${accepted.body.run_id}`)).status).toBe(200);
    expect(
      (await second.api(`/v1/inbound-webhooks/${created.body.subscription.id}/deliveries`)).body
        .deliveries,
    ).toHaveLength(1);
    // the secret still verifies after the restart
    const again = await sendSigned(
      got.body.subscription.ingress_url,
      JSON.stringify({ order_id: "2" }),
      {
        secret,
        pat: second.vaultKey.pat,
      },
    );
    expect(again.status).toBe(202);
  });

  it("writes a 0600 key file beside the database and seals every secret in it", async () => {
    const dir = tempDir();
    const sandbox = await open(dir);
    const created = await sandbox.api("/v1/inbound-webhooks", {
      body: {
        workflow_id: sandbox.shopify.id,
        name: "sealed",
        automation_pat_id: sandbox.vaultKey.id,
      },
      headers: { "idempotency-key": "sealed-1" },
    });
    expect(created.status).toBe(201);
    const keyPath = join(dir, "sandbox.db.key");
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    await sandbox.close();
    opened.pop();
    const raw = Buffer.concat(
      ["sandbox.db", "sandbox.db-wal"]
        .map((name) => join(dir, name))
        .filter(existsSync)
        .map((path) => readFileSync(path)),
    ).toString("latin1");
    expect(raw).not.toContain(created.body.signing_secret);
    expect(raw).not.toContain("whsec_");
    for (const key of sandbox.api_keys) expect(raw).not.toContain(key.pat);
    expect(raw).not.toContain(sandbox.tokens.contributor);
    expect(raw).not.toContain(sandbox.tokens.viewer);
  });

  it("refuses to open a database whose key file is missing, saying what to do", async () => {
    const dir = tempDir();
    const sandbox = await open(dir);
    await sandbox.close();
    opened.pop();
    unlinkSync(join(dir, "sandbox.db.key"));
    await expect(startTestSandbox({ dir })).rejects.toThrow(
      /key file .* is missing.*restore the key file or start with a new --db/,
    );
  });

  it("runs versioned migrations once and refuses a newer schema", () => {
    const dir = tempDir();
    const db = new Database(join(dir, "m.db"));
    expect(migrate(db)).toEqual({ from: 0, to: 8 });
    expect(migrate(db)).toEqual({ from: 8, to: 8 });
    expect(db.pragma("user_version", { simple: true })).toBe(8);
    const tables = () =>
      (
        db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as {
          name: string;
        }[]
      )
        .map((row) => row.name)
        .filter((name) => name === "ingress_log_position" || name === "storage_probe");
    expect(tables()).toEqual(["storage_probe"]);
    // A database of the version with the ingress log: 8 drops the log's position.
    db.exec("CREATE TABLE ingress_log_position (only INTEGER PRIMARY KEY, segment INTEGER)");
    db.pragma("user_version = 7");
    expect(migrate(db)).toEqual({ from: 7, to: 8 });
    expect(tables()).toEqual(["storage_probe"]);
    db.pragma("user_version = 99");
    expect(() => migrate(db)).toThrow(/newer than this program knows/);
    db.close();
  });

  it("uses WAL and seeds only a new database", async () => {
    const dir = tempDir();
    const sandbox = await open(dir);
    expect(sandbox.store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    const count = () =>
      (sandbox.store.db.prepare("SELECT count(*) AS n FROM workflows").get() as { n: number }).n;
    expect(count()).toBe(3);
    await sandbox.close();
    opened.pop();
    const reopened = await open(dir);
    expect(
      (reopened.store.db.prepare("SELECT count(*) AS n FROM workflows").get() as { n: number }).n,
    ).toBe(3);
  });

  it("seeds only the project and its users with --seed none", async () => {
    const sandbox = await startTestSandbox({ seed: "none" });
    opened.push(sandbox);
    expect(sandbox.workflows).toEqual([]);
    expect(sandbox.api_keys).toEqual([]);
    expect((await sandbox.api("/v1/workflows")).body.workflows).toEqual([]);
    expect((await sandbox.api("/v1/workflows", { token: sandbox.tokens.viewer })).status).toBe(200);
  });

  it("works in memory with --db :memory:", async () => {
    const sandbox = await startTestSandbox({ db: ":memory:" });
    opened.push(sandbox);
    expect((await sandbox.api("/v1/workflows")).body.workflows).toHaveLength(3);
    expect(existsSync(join(sandbox.dir, "sandbox.db"))).toBe(false);
  });
});

describe("a failing write", () => {
  it("answers 500 internal_error with the request id, logs it, and keeps serving", async () => {
    const sandbox = await startTestSandbox({ db: ":memory:" });
    opened.push(sandbox);
    const created = await sandbox.api("/v1/inbound-webhooks", {
      body: {
        workflow_id: sandbox.weekly.id,
        name: "doomed",
        automation_pat_id: sandbox.vaultKey.id,
      },
    });
    sandbox.store.db.exec("DROP TABLE deliveries");
    const answer = await sendSigned(created.body.ingress_url, JSON.stringify({ week: 1 }), {
      secret: created.body.signing_secret,
      pat: sandbox.vaultKey.pat,
    });
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe("internal_error");
    const requestId = answer.headers.get("x-request-id") as string;
    expect(answer.body.error.message).toContain(requestId);
    expect(answer.text).not.toContain("no such table");
    expect(sandbox.logs.some((line) => line.startsWith(`${requestId} internal error`))).toBe(true);
    // the run was not half-written either: runs and deliveries commit together
    const runs = await sandbox.api(`/v1/runs?subscription_id=${created.body.subscription.id}`);
    expect(runs.body.runs).toEqual([]);
    expect((await sandbox.api("/v1/workflows")).status).toBe(200);
  });
});

describe("a database transaction beside another connection", () => {
  it("holds the write lock from its start, so a commit on another connection cannot void it", async () => {
    const sandbox = await open(tempDir());
    // Another connection to the same file (a tool, say) that commits at once or not at all.
    const other = new Database(join(sandbox.dir, "sandbox.db"));
    other.pragma("busy_timeout = 0");
    const write = (db: Database.Database, name: string) =>
      db.prepare("INSERT INTO sandbox_credentials (name, secret) VALUES (?, 'x')").run(name);
    try {
      sandbox.store.transaction(() => {
        sandbox.store.db.prepare("SELECT count(*) AS n FROM subscriptions").get();
        expect(() => write(other, "elsewhere")).toThrow(/locked|busy/i);
        write(sandbox.store.db, "inside");
      });
    } finally {
      other.close();
    }
  });
});
