import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/client.js";
import { createMcpRuntime } from "../../src/mcp/runtime.js";
import { getInboundWebhookWizard } from "../../tools/get-inbound-webhook-wizard.js";
import { TOOLS } from "../../tools/index.js";
import { listWorkflows } from "../../tools/list-workflows.js";
import { startInboundWebhookWizard } from "../../tools/start-inbound-webhook-wizard.js";
import { structuredOf } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox.stop();
});

/** A wizard database path that cannot be opened: its folder is a file. */
function unopenablePath(): string {
  const file = join(tempDir(), "not-a-folder");
  writeFileSync(file, "");
  return join(file, "wizards.db");
}

function runtimeOn(wizardDb: string) {
  return createMcpRuntime({
    client: createClient({ baseUrl: sandbox.url, token: sandbox.tokens.contributor }),
    tools: TOOLS,
    wizardDb,
    version: "0.0.0-test",
  });
}

async function connected(runtime: ReturnType<typeof runtimeOn>) {
  const server = runtime.createServer();
  const client = new Client({ name: "runtime-test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    client,
    call: (name: string, args: Record<string, unknown>) =>
      client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    close: () => client.close(),
  };
}

describe("an MCP runtime", () => {
  it("shares one guided setup between the servers it builds, as HTTP sessions do", async () => {
    const runtime = runtimeOn(":memory:");
    const first = await connected(runtime);
    const second = await connected(runtime);
    try {
      const started = structuredOf(
        startInboundWebhookWizard,
        await first.call("start_inbound_webhook_wizard", { workflow_id: sandbox.shopify.id }),
      );
      const seen = structuredOf(
        getInboundWebhookWizard,
        await second.call("get_inbound_webhook_wizard", { wizard_id: started.wizard_id }),
      );
      expect(seen).toMatchObject({ wizard_id: started.wizard_id, step: started.step });
      expect((await runtime.wizards()).wizards).toBe((await runtime.wizards()).wizards);
    } finally {
      await first.close();
      await second.close();
      await runtime.close();
    }
  });

  it("lists tools without loading the guided setup, and closes what it never opened", async () => {
    const runtime = runtimeOn(unopenablePath());
    const session = await connected(runtime);
    try {
      expect((await session.client.listTools()).tools).toHaveLength(TOOLS.length);
      await expect(runtime.wizards()).rejects.toThrow();
    } finally {
      await session.close();
    }
    await expect(runtime.close()).resolves.toBeUndefined();
  });

  it("says a guided setup that cannot be loaded is a server bug, not a tool failure", async () => {
    const runtime = runtimeOn(unopenablePath());
    const session = await connected(runtime);
    try {
      await expect(
        session.client.callTool({
          name: "start_inbound_webhook_wizard",
          arguments: { workflow_id: sandbox.shopify.id },
        }),
      ).rejects.toThrow(/bug in this server/);
    } finally {
      await session.close();
      await runtime.close();
    }
  });
});

describe("structuredOf, the test helper that reads results", () => {
  const answer = (structuredContent: Record<string, unknown>): CallToolResult => ({
    content: [{ type: "text", text: JSON.stringify(structuredContent) }],
    structuredContent,
  });

  it("returns a result its tool's output schema accepts", () => {
    expect(structuredOf(listWorkflows, answer({ workflows: [], next_cursor: null }))).toEqual({
      workflows: [],
      next_cursor: null,
    });
  });

  it("fails on a failed call, a missing field and a key the schema does not list", () => {
    expect(() =>
      structuredOf(listWorkflows, {
        isError: true,
        content: [{ type: "text", text: "workflow_not_found: no such workflow" }],
      }),
    ).toThrow(/list_workflows failed: workflow_not_found/);
    expect(() => structuredOf(listWorkflows, answer({ workflows: [] }))).toThrow(
      /off its output schema/,
    );
    expect(() =>
      structuredOf(listWorkflows, answer({ workflows: [], next_cursor: null, secret: "x" })),
    ).toThrow(/off its output schema/);
  });
});
