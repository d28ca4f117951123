import { execFileSync } from "node:child_process";
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  statfsSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  type ApiAnswer,
  sendSigned,
  startTestSandbox,
  type TestSandbox,
} from "../helpers/sandbox.js";

const opened: TestSandbox[] = [];
afterEach(async () => {
  for (const sandbox of opened.splice(0)) await sandbox.close();
});

async function hookOn(sandbox: TestSandbox) {
  const created = await sandbox.api("/v1/inbound-webhooks", {
    body: {
      workflow_id: sandbox.shopify.id,
      name: `full-disk-${Math.random()}`,
      automation_pat_id: sandbox.vaultKey.id,
    },
  });
  expect(created.status).toBe(201);
  const credentials = {
    secret: created.body.signing_secret as string,
    pat: sandbox.vaultKey.pat,
  };
  return {
    id: created.body.subscription.id as string,
    send: (body: string) => sendSigned(created.body.ingress_url, body, credentials),
  };
}

/** A delivery body of about `bytes` bytes, which needs pages of its own. */
const bodyOf = (bytes: number, n: number) =>
  JSON.stringify({ order_id: `full-${n}`, filler: "x".repeat(bytes) });

function expectStorageUnavailable(answer: ApiAnswer) {
  expect(answer.status).toBe(503);
  expect(answer.body.error.code).toBe("storage_unavailable");
  expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
}

const health = async (sandbox: TestSandbox) => (await fetch(`${sandbox.url}/healthz`)).status;

function storedDeliveryIds(path: string): Set<string> {
  const db = new Database(path, { readonly: true });
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    const rows = db.prepare("SELECT lower(hex(id)) AS id FROM deliveries").all() as {
      id: string;
    }[];
    return new Set(rows.map((row) => row.id));
  } finally {
    db.close();
  }
}
const hexOf = (uuid: string) => uuid.replaceAll("-", "");

describe("a database that cannot grow (max_page_count)", () => {
  it("answers 503 storage_unavailable, keeps reads working, says so on /healthz, and recovers without a restart", async () => {
    const sandbox = await startTestSandbox();
    opened.push(sandbox);
    const hook = await hookOn(sandbox);
    expect((await hook.send(bodyOf(100, 0))).status).toBe(202);
    // Fills most of the subscriptions table's page, so the next large one needs a page.
    const bigExtras = (name: string) => ({
      workflow_id: sandbox.shopify.id,
      name,
      automation_pat_id: sandbox.vaultKey.id,
      extras: { trigger_payload: { note: "y".repeat(15_000) } },
    });
    expect((await sandbox.api("/v1/inbound-webhooks", { body: bigExtras("room") })).status).toBe(
      201,
    );

    const db = sandbox.store.db;
    expect(db.pragma("freelist_count", { simple: true })).toBe(0);
    db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true })}`);

    const refused = await Promise.all([1, 2, 3, 4, 5].map((n) => hook.send(bodyOf(40_000, n))));
    for (const answer of refused) expectStorageUnavailable(answer);
    expect(await health(sandbox)).toBe(503);

    // A management write that needs a page says the same; reads still answer.
    expectStorageUnavailable(await sandbox.api("/v1/inbound-webhooks", { body: bigExtras("x") }));
    const deliveries = await sandbox.api(`/v1/inbound-webhooks/${hook.id}/deliveries`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.deliveries).toHaveLength(1);
    expect((await sandbox.api(`/v1/runs?subscription_id=${hook.id}`)).status).toBe(200);
    expect((await sandbox.api(`/v1/inbound-webhooks/${hook.id}`)).status).toBe(200);
    expect(sandbox.logs.join("\n")).not.toMatch(/internal error/);

    db.pragma("max_page_count = 1073741823");
    expect(await health(sandbox)).toBe(200);
    const accepted = await hook.send(bodyOf(40_000, 6));
    expect(accepted.status).toBe(202);
    expect((await sandbox.api(`/v1/runs/${accepted.body.run_id}`)).status).toBe(200);
    const later = await sandbox.api(`/v1/inbound-webhooks/${hook.id}/deliveries`);
    expect(later.body.deliveries.map((d: { status: number }) => d.status)).toEqual([202, 202]);
  });

  it("still answers a refused attempt as refused when it cannot record it", async () => {
    const sandbox = await startTestSandbox();
    opened.push(sandbox);
    const hook = await hookOn(sandbox);
    // Another process holds the write lock past the wait allowed: no write can commit.
    sandbox.store.db.pragma("busy_timeout = 50");
    const other = new Database(join(sandbox.dir, "sandbox.db"));
    other.exec("BEGIN IMMEDIATE");
    try {
      const wrong = await sendSigned(
        `${sandbox.url}/v1/inbound-webhooks/${hook.id}`,
        bodyOf(100, 1),
        { secret: "whsec_not-the-secret", pat: sandbox.vaultKey.pat },
      );
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe("invalid_signature");
      // It names no delivery, since none was kept.
      expect(wrong.headers.get("x-delivery-id")).toBeNull();
      expectStorageUnavailable(await hook.send(bodyOf(100, 2)));
      expect(await health(sandbox)).toBe(503);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect(await health(sandbox)).toBe(200);
    expect((await hook.send(bodyOf(100, 3))).status).toBe(202);
  });
});

/** A tmpfs of `bytes` at a new folder, or undefined when this process may not mount one. */
function mountTmpfs(bytes: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "arw-tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir], {
      stdio: "ignore",
    });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

describe("a real filesystem that fills up", () => {
  const mount = mountTmpfs(8 * 1024 * 1024);
  afterAll(async () => {
    for (const sandbox of opened.splice(0)) await sandbox.close();
    if (!mount) return;
    execFileSync("umount", [mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  it.skipIf(!mount)(
    "answers 503 while the disk is full, never 202 for what it did not keep, and heals once space returns",
    async () => {
      const dir = mount as string;
      const sandbox = await startTestSandbox({ dir });
      opened.push(sandbox);
      const hook = await hookOn(sandbox);

      // Leave the database a little room, then send until it runs out.
      const filler = join(dir, "filler");
      const fd = openSync(filler, "w");
      const free = () => {
        const stats = statfsSync(dir);
        return stats.bavail * stats.bsize;
      };
      const chunk = Buffer.alloc(64 * 1024);
      while (free() > 256 * 1024) writeSync(fd, chunk);
      closeSync(fd);

      const statuses = new Map<number, number>();
      const acceptedIds: string[] = [];
      let healthWhileFull = 0;
      for (let n = 0; n < 200; n += 1) {
        const answer = await hook.send(bodyOf(4000, n));
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 202) acceptedIds.push(answer.body.delivery_id);
        if (answer.status === 503) {
          expectStorageUnavailable(answer);
          healthWhileFull = await health(sandbox);
          break;
        }
      }
      expect(statuses.get(503)).toBe(1);
      expect([...statuses.keys()].filter((status) => status !== 202 && status !== 503)).toEqual([]);
      expect(healthWhileFull).toBe(503);
      expect((await sandbox.api(`/v1/inbound-webhooks/${hook.id}/deliveries`)).status).toBe(200);

      unlinkSync(filler);
      expect(await health(sandbox)).toBe(200);
      for (let n = 0; n < 20; n += 1) {
        const answer = await hook.send(bodyOf(4000, 1000 + n));
        expect(answer.status).toBe(202);
        acceptedIds.push(answer.body.delivery_id);
      }
      expect((await sandbox.api(`/v1/inbound-webhooks/${hook.id}/deliveries`)).status).toBe(200);
      expect(sandbox.logs.join("\n")).not.toMatch(/internal error/);

      await sandbox.close();
      opened.splice(opened.indexOf(sandbox), 1);
      const stored = storedDeliveryIds(join(dir, "sandbox.db"));
      for (const id of acceptedIds) expect(stored.has(hexOf(id))).toBe(true);
    },
  );
});
