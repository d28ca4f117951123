/**
 * The baseline for the MCP benchmark: the smallest honest MCP server the SDK allows. One tool,
 * `list_inbound_webhooks`, does the same GET as ours and returns the JSON text as it came,
 * with no schemas, views or retries. Reads AGENTRUNTIME_API_URL and AGENTRUNTIME_TOKEN.
 * Writes nothing to stdout but the protocol; stops when stdin ends, on SIGTERM or SIGINT.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

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

await server.connect(new StdioServerTransport());

// Like ours: the process ends with its client, not after an idle keep-alive socket times out.
const stop = () => {
  server.close().finally(() => process.exit(0));
};
process.stdin.once("end", stop);
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
