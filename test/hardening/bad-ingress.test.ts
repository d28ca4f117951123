import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_BODY_BYTES } from "../../src/sandbox/server.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";
import { BAD_INGRESS, type IngressTargets, sendRaw } from "./bad-ingress.js";
import { createHook } from "./kit.js";

const dir = tempDir("arw-bad-ingress-");
let sandbox: TestSandbox | undefined;
let targets: IngressTargets;

beforeAll(async () => {
  const started = await startTestSandbox({ dir, requestTimeoutMs: 1500 });
  sandbox = started;
  const live = await createHook(started);
  const paused = await createHook(started);
  const deleted = await createHook(started);
  expect(
    (
      await started.api(`/v1/inbound-webhooks/${paused.id}`, {
        method: "PATCH",
        body: { enabled: false },
      })
    ).status,
  ).toBe(200);
  expect(
    (await started.api(`/v1/inbound-webhooks/${deleted.id}`, { method: "DELETE" })).status,
  ).toBe(204);
  targets = {
    base: started.url,
    live,
    paused,
    deletedUrl: deleted.url,
    otherPat: started.legacyKey.pat,
    userToken: started.tokens.contributor,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  };
});
afterAll(() => sandbox?.stop());

describe("bad ingress input, kind by kind", () => {
  it("covers at least 80 kinds", () => {
    expect(BAD_INGRESS.length).toBeGreaterThanOrEqual(80);
    expect(new Set(BAD_INGRESS.map((kind) => kind.name)).size).toBe(BAD_INGRESS.length);
  });

  it.each(BAD_INGRESS.map((kind) => [kind.name, kind] as const))("%s", async (_name, kind) => {
    const answer = await sendRaw(kind.build(targets));
    expect({ status: answer.status, code: answer.code }).toEqual({
      status: kind.status,
      code: kind.code,
    });
    if (kind.stored) {
      const delivery = sandbox?.store.getDelivery(answer.deliveryId ?? "");
      expect(delivery).toMatchObject({
        status: kind.status,
        reason: kind.code,
        outcome: "rejected",
      });
    } else {
      expect(answer.deliveryId).toBeUndefined();
    }
  });

  it("counts what named no subscription, and logged no internal error", async () => {
    const logs = sandbox?.logs.join("\n") ?? "";
    await sandbox?.stop();
    sandbox = undefined;
    expect(logs).not.toContain("internal error");
    const db = new Database(join(dir, "sandbox.db"), { readonly: true });
    const counted = db
      .prepare("SELECT sum(attempts) AS n FROM unmatched_ingress WHERE status = 404")
      .get() as { n: number };
    db.close();
    expect(counted.n).toBe(BAD_INGRESS.filter((kind) => !kind.stored).length);
  });
});
