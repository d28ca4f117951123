/**
 * The baseline for the MCP benchmark: the smallest honest MCP server the SDK allows. Two tools,
 * `list_inbound_webhooks` and `create_inbound_webhook`, make the same GET and POST as ours and
 * return the JSON text as it came, with no output schemas, views or retries. Reads
 * AGENTRUNTIME_API_URL and AGENTRUNTIME_TOKEN.
 * Writes nothing to stdout but the protocol; stops when stdin ends, on SIGTERM or SIGINT.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "minimal-mcp-server", version: "0.0.0" });

server.registerTool(
  "list_inbound_webhooks",
  { description: "Lists inbound webhooks.", inputSchema: {} },
  async () => {
    const response = await fetch(`${process.env.AGENTRUNTIME_API_URL}/v1/inbound-webhooks`, {
      headers: { authorization: `Bearer ${process.env.AGENTRUNTIME_TOKEN}` },
    });
    const text = await response.text();
    return { content: [{ type: "text", text }], isError: !response.ok };
  },
);

server.registerTool(
  "create_inbound_webhook",
  {
    description: "Creates an inbound webhook.",
    inputSchema: { workflow_id: z.string(), name: z.string(), automation_pat_id: z.string() },
  },
  async (args) => {
    const response = await fetch(`${process.env.AGENTRUNTIME_API_URL}/v1/inbound-webhooks`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${process.env.AGENTRUNTIME_TOKEN}`,
        "content-type": "application/json",
        "idempotency-key": crypto.randomUUID(),
      },
      body: JSON.stringify(args),
    });
    const text = await response.text();
    return { content: [{ type: "text", text }], isError: !response.ok };
  },
);

await server.connect(new StdioServerTransport());

// Like ours: the process ends with its client, not after an idle keep-alive socket times out.
const stop = () => {
  server.close().finally(() => process.exit(0));
};
process.stdin.once("end", stop);
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
