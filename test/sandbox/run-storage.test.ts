import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/sandbox/migrations.js";
import { sendSigned, startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.stop());

async function createHook(extras: Record<string, unknown>) {
  const answer = await sandbox.api("/v1/inbound-webhooks", {
    body: {
      workflow_id: sandbox.shopify.id,
      name: `storage-${Math.random()}`,
      automation_pat_id: sandbox.vaultKey.id,
      extras,
    },
  });
  expect(answer.status).toBe(201);
  return { url: answer.body.ingress_url as string, secret: answer.body.signing_secret as string };
}

// Spacing and key order as a sender chose them: the stored copy must be these exact bytes.
const body = '{ "order_id": "9", "quantity": 3,\n  "sku": "MUG", "priority": "sender" }';

describe("what a run stores", () => {
  it("keeps the body once, as sent, and renders input and steps from it", async () => {
    const hook = await createHook({
      use_run_setup_defaults: true,
      trigger_payload: { priority: "owner" },
    });
    const sent = await sendSigned(hook.url, body, {
      secret: hook.secret,
      pat: sandbox.vaultKey.pat,
    });
    expect(sent.status).toBe(202);
    const runId = sent.body.run_id as string;

    const row = sandbox.store.db
      .prepare("SELECT start_params, steps, payload, overlay FROM runs WHERE id = id_bytes(?)")
      .get(runId) as Record<string, string | null>;
    expect(row.payload).toBe(body);
    expect(row.start_params).toBe("");
    expect(row.steps).toBe("");
    expect(JSON.parse(row.overlay ?? "null")).toEqual({
      beneath: { warehouse: "berlin-1", priority: "normal" },
      above: { priority: "owner" },
    });
    const delivery = sandbox.store.db
      .prepare("SELECT body_sha256 FROM deliveries WHERE run_id = id_bytes(?)")
      .get(runId) as { body_sha256: string | null };
    expect(delivery.body_sha256).toBeNull();

    const run = (await sandbox.api(`/v1/runs/${runId}`)).body.run;
    expect(run.start_params.webhook_payload).toEqual(JSON.parse(body));
    expect(run.input).toEqual({
      warehouse: "berlin-1",
      order_id: "9",
      quantity: 3,
      sku: "MUG",
      priority: "owner",
    });
    expect(run.start_params.trigger_payload).toEqual(run.input);
    expect(run.steps.map((step: { output: string }) => step.output)).toEqual([
      "Order 9 accepted",
      "Reserve 3 x MUG in berlin-1",
      "Email  (priority owner, from )",
    ]);
    expect(run.status).toBe("succeeded");
  });

  it("gives an accepted delivery the digest of the body it stored", async () => {
    const hook = await createHook({ use_run_setup_defaults: false });
    const sent = await sendSigned(hook.url, body, {
      secret: hook.secret,
      pat: sandbox.vaultKey.pat,
    });
    const id = sent.headers.get("x-delivery-id") as string;
    const subscription = sandbox.store.getDelivery(id)?.subscription_id as string;
    const listed = sandbox.store.listDeliveries(subscription, 10).items;
    const digest = createHash("sha256").update(body).digest("hex");
    expect(listed.map((delivery) => delivery.body_sha256)).toEqual([digest]);
    expect(sandbox.store.getDelivery(id)?.body_sha256).toBe(digest);
    const overlay = sandbox.store.db
      .prepare("SELECT overlay FROM runs WHERE id = id_bytes(?)")
      .get(sent.body.run_id) as { overlay: string | null };
    expect(overlay.overlay).toBeNull();
  });

  it("still reads a run stored before migration 4", async () => {
    const { id: projectId } = sandbox.store.db.prepare("SELECT id FROM projects").get() as {
      id: string;
    };
    const legacy = {
      id: "6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5",
      start_params: { webhook_payload: { a: 1 }, trigger_payload: { a: 1, b: 2 } },
      steps: [{ name: "s", template: "t", received: {}, output: "t" }],
    };
    sandbox.store.db
      .prepare(
        `INSERT INTO runs (id, project_id, workflow_id, subscription_id, status, start_params, steps, error, created_at)
         VALUES (?, ?, ?, 'gone', 'succeeded', ?, ?, NULL, '2026-01-01T00:00:00.000Z')`,
      )
      .run(
        legacy.id,
        projectId,
        sandbox.shopify.id,
        JSON.stringify(legacy.start_params),
        JSON.stringify(legacy.steps),
      );
    // Written as before migration 6, ids as text; running it again turns them into bytes.
    sandbox.store.db.pragma("user_version = 5");
    expect(migrate(sandbox.store.db)).toEqual({ from: 5, to: 8 });
    const stored = sandbox.store.db
      .prepare(
        "SELECT typeof(id) AS id, typeof(subscription_id) AS subscription FROM runs WHERE id = id_bytes(?)",
      )
      .get(legacy.id);
    // 'gone' is no UUID, so it stays text.
    expect(stored).toEqual({ id: "blob", subscription: "text" });
    const run = (await sandbox.api(`/v1/runs/${legacy.id}`)).body.run;
    expect(run.start_params).toEqual(legacy.start_params);
    expect(run.input).toEqual({ a: 1, b: 2 });
    expect(run.steps).toEqual(legacy.steps);
  });
});
