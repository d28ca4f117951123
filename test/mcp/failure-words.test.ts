import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolsIn } from "../../tools/index.js";
import { type ConnectedMcp, connectMcp, textOf } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
const connections: ConnectedMcp[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  for (const connection of connections) await connection.close();
  await sandbox.stop();
});

async function connect(options: Parameters<typeof connectMcp>[1] = {}) {
  const connection = await connectMcp(sandbox, options);
  connections.push(connection);
  return connection;
}

const unknownId = "00000000-0000-4000-8000-000000000000";

describe("failures name only next steps this server can take", () => {
  it("points to a list tool only when it is registered", async () => {
    const all = await connect();
    const everything = await all.call("get_inbound_webhook_sender_guide", { id: unknownId });
    expect(everything.isError).toBe(true);
    expect(textOf(everything)).toContain("list_inbound_webhooks");

    const operations = await connect({ tools: toolsIn(["operations"]) });
    const fewer = await operations.call("get_inbound_webhook_sender_guide", { id: unknownId });
    expect(fewer.isError).toBe(true);
    expect(textOf(fewer)).toMatch(/subscription_not_found/);
    expect(textOf(fewer)).not.toContain("list_inbound_webhooks");
    expect(textOf(fewer)).toMatch(/ask the person/i);
  });

  it("does not send a model to the guided setup when this server has none", async () => {
    const webhooks = await connect({ tools: toolsIn(["webhooks"]) });
    const refused = await webhooks.call("create_inbound_webhook", {
      workflow_id: sandbox.weekly.id,
      name: "no-vault",
      automation_pat_id: sandbox.legacyKey.id,
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/pat_secret_not_in_vault/);
    expect(textOf(refused)).not.toContain("start_inbound_webhook_wizard");
    expect(textOf(refused)).toContain("in_vault: true");
  });

  it("says what to do when a rotation's overlap is still running", async () => {
    const mcp = await connect({ secretDelivery: "inline" });
    const created = await sandbox.api("/v1/inbound-webhooks", {
      body: {
        workflow_id: sandbox.weekly.id,
        name: "rotate-twice",
        automation_pat_id: sandbox.vaultKey.id,
      },
    });
    const id = created.body.subscription.id;
    const first = await mcp.call("rotate_inbound_webhook_secret", {
      id,
      previous_secret_ttl_seconds: 3600,
    });
    expect(first.isError).toBeFalsy();
    const second = await mcp.call("rotate_inbound_webhook_secret", {
      id,
      previous_secret_ttl_seconds: 3600,
    });
    expect(second.isError).toBe(true);
    expect(textOf(second)).toMatch(/rotation_in_progress/);
    expect(textOf(second)).toContain("previous_secret_expires_at");
    expect(textOf(second)).toContain("force: true");
  });

  it("refuses a secret in arguments without pointing to a guided setup this server lacks", async () => {
    const pat = `pat_${"x".repeat(40)}`;
    const webhooks = await connect({ tools: toolsIn(["webhooks"]) });
    const refused = await webhooks.call("create_inbound_webhook", {
      workflow_id: sandbox.weekly.id,
      name: pat,
      automation_pat_id: sandbox.legacyKey.id,
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/secret_in_arguments/);
    expect(textOf(refused)).not.toMatch(/guided setup/);
    expect(textOf(refused)).not.toContain(pat);

    const all = await connect();
    const withWizard = await all.call("create_inbound_webhook", {
      workflow_id: sandbox.weekly.id,
      name: pat,
      automation_pat_id: sandbox.legacyKey.id,
    });
    expect(textOf(withWizard)).toMatch(/guided setup/);
  });
});

describe("a full disk upstream", () => {
  it("says nothing was created and to try again, not that the outcome is unknown", async () => {
    const mcp = await connect();
    const db = sandbox.store.db;
    const room = db.pragma("max_page_count", { simple: true });
    // Every page in use: the next insert needs one more than the database may have.
    db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true })}`);
    try {
      const refused = await mcp.call("create_inbound_webhook", {
        workflow_id: sandbox.shopify.id,
        name: "full-disk",
        automation_pat_id: sandbox.vaultKey.id,
        extras: { trigger_payload: { note: "y".repeat(15_000) } },
      });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/storage_unavailable/);
      expect(textOf(refused)).toContain("nothing was created or changed");
      expect(textOf(refused)).not.toMatch(/not known whether/);
    } finally {
      db.pragma(`max_page_count = ${room}`);
    }
  });
});
