import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_MIME_TYPE, CARD_URI } from "../../src/card/resource.js";
import { createClient } from "../../src/client/client.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { McpWizards } from "../../src/mcp/wizards.js";
import { OneTimePages } from "../../src/pages/one-time-pages.js";
import { openLocalSetupStore } from "../../src/setup-store/sqlite.js";
import { TOOLS } from "../../tools/index.js";
import { type ConnectedMcp, connectMcp } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

const WIZARD_TOOLS = [
  "start_inbound_webhook_wizard",
  "answer_inbound_webhook_wizard",
  "get_inbound_webhook_wizard",
];

let sandbox: TestSandbox;
let plain: ConnectedMcp;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  plain = await connectMcp(sandbox);
});
afterAll(async () => {
  await plain?.close();
  await sandbox?.stop();
});

/** A client that says it renders MCP Apps, as Claude, ChatGPT or our browser Chat do. */
async function connectAppsHost(card?: () => Promise<string>) {
  const pages = new OneTimePages();
  const api = createClient({ baseUrl: sandbox.url, token: sandbox.tokens.contributor });
  const { store, setups } = await openLocalSetupStore(":memory:");
  const wizards = new McpWizards({ client: api, pages, setups });
  const server = createMcpServer({
    client: api,
    tools: TOOLS,
    pages,
    wizards: async () => wizards,
    version: "0.0.0-test",
    ...(card ? { card } : {}),
  });
  const client = new Client(
    { name: "apps-host", version: "1.0.0" },
    {
      capabilities: {
        extensions: { "io.modelcontextprotocol/ui": { mimeTypes: [CARD_MIME_TYPE] } },
      },
    },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
      wizards.close();
      await store.close();
      await pages.close();
    },
  };
}

describe("the Inbound webhook card as an MCP App resource", () => {
  it("is listed and read with the MCP Apps MIME type, as one self-contained document", async () => {
    const { resources } = await plain.client.listResources();
    expect(resources).toEqual([
      expect.objectContaining({ uri: CARD_URI, mimeType: "text/html;profile=mcp-app" }),
    ]);
    const read = await plain.client.readResource({ uri: CARD_URI });
    expect(read.contents).toHaveLength(1);
    const [content] = read.contents;
    expect(content?.mimeType).toBe("text/html;profile=mcp-app");
    const html = String(content && "text" in content ? content.text : "");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<main id="card"');
    // Self-contained: nothing to fetch, so a host's default CSP is enough.
    expect(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/i.exec(html)?.[0]).toBeUndefined();
    expect(/whsec_[A-Za-z0-9_-]{16,}/.exec(html)?.[0]).toBeUndefined();
    for (const key of [sandbox.vaultKey, sandbox.legacyKey]) expect(html).not.toContain(key.pat);
  });

  it("answers an unknown resource with MCP's not-found error and names resources/list", async () => {
    await expect(
      plain.client.readResource({ uri: "ui://agentruntime-webhooks/other.html" }),
    ).rejects.toMatchObject({ code: -32002, message: expect.stringContaining("resources/list") });
  });

  it("says plainly when the card was never built, as a bug rather than a wrong call", async () => {
    const host = await connectAppsHost(() =>
      Promise.reject(new Error("The Inbound webhook card is not built")),
    );
    try {
      await expect(host.client.readResource({ uri: CARD_URI })).rejects.toThrow(/not built/);
    } finally {
      await host.close();
    }
  });

  it("is declared by the three wizard tools and by no other", async () => {
    const { tools } = await plain.client.listTools();
    for (const tool of tools) {
      if (WIZARD_TOOLS.includes(tool.name)) {
        expect(tool._meta, tool.name).toEqual({
          ui: { resourceUri: CARD_URI },
          "ui/resourceUri": CARD_URI,
        });
      } else {
        expect(tool._meta, tool.name).toBeUndefined();
      }
    }
  });

  it("gives a client without MCP Apps the same text results as one with them", async () => {
    const host = await connectAppsHost();
    try {
      const args = { workflow_id: sandbox.shopify.id };
      const [withoutApps, withApps] = await Promise.all([
        plain.call("start_inbound_webhook_wizard", args),
        host.client.callTool({ name: "start_inbound_webhook_wizard", arguments: args }),
      ]);
      const textOf = (result: typeof withApps) => {
        // Today's shape: one text item (the compact step the model reads), nothing else.
        expect(result.content).toEqual([{ type: "text", text: expect.any(String) }]);
        return (result.content as { text: string }[])[0]?.text ?? "";
      };
      const sameButId = (value: unknown) => {
        const id = (value as { wizard_id: string }).wizard_id;
        return JSON.parse(JSON.stringify(value).replaceAll(id, "WIZARD_ID"));
      };
      expect(sameButId(JSON.parse(textOf(withApps)))).toEqual(
        sameButId(JSON.parse(textOf(withoutApps))),
      );
      expect(sameButId(withApps.structuredContent)).toEqual(
        sameButId(withoutApps.structuredContent),
      );
    } finally {
      await host.close();
    }
  });
});
