import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/sandbox.js";

const root = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

/** The `mcpServers` JSON block of a page, with the clone's path filled in. */
function snippet(page: string): { command: string; args: string[] } | undefined {
  const text = readFileSync(`${root}/${page}`, "utf8");
  const block = /```json\n(\{\n\s+"mcpServers"[\s\S]*?)```/.exec(text)?.[1];
  if (block === undefined) return undefined;
  const config = JSON.parse(block.replaceAll("/path/to/agentruntime-webhooks", root)) as {
    mcpServers: Record<string, { command: string; args: string[] }>;
  };
  return config.mcpServers["agentruntime-webhooks"];
}

describe.each(["README.md", "docs/mcp.md"])("the mcpServers snippet of %s", (page) => {
  it("starts a working server with nothing else set up", async () => {
    const server = snippet(page);
    expect(server, `${page} has an mcpServers JSON block`).toBeDefined();
    const transport = new StdioClientTransport({
      command: server?.command === "node" ? process.execPath : (server?.command as string),
      args: server?.args ?? [],
      // a host passes its own environment; the data folder keeps this test's sandbox apart
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        AGENTRUNTIME_SANDBOX_DIR: tempDir(),
        // any free port: tests run beside other sandboxes, which may hold the default 8787
        AGENTRUNTIME_SANDBOX_PORT: "0",
      },
      stderr: "ignore",
    });
    const client = new Client({ name: "readme-host", version: "1" });
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: "list_workflows", arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.structuredContent)).toContain("Fulfil Shopify order");
    } finally {
      await client.close();
    }
  });
});
