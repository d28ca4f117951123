/**
 * The floor for the hosted benchmark: the smallest honest hosted MCP server the SDK allows.
 * Stateless Streamable HTTP (a protocol server per request, JSON answers, as ours), one tool
 * whose every call does one PostgreSQL read, one PostgreSQL write and one GET to AgentRuntime
 * with the caller's bearer: the least a hosted wizard step could do. Reads DATABASE_URL and
 * AGENTRUNTIME_API_URL; prints `{"url":…}` once listening on 127.0.0.1; stops on SIGTERM.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import pg from "pg";
import { z } from "zod";

const apiUrl = process.env.AGENTRUNTIME_API_URL;
const databaseUrl = process.env.DATABASE_URL;
if (!apiUrl || !databaseUrl) throw new Error("set AGENTRUNTIME_API_URL and DATABASE_URL");

// The same pool size as the setup store's. Its table `floor_setups` is made by the benchmark.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

function protocolServer(bearer: string): McpServer {
  const server = new McpServer({ name: "floor-hosted-server", version: "0.0.0" });
  server.registerTool(
    "touch_setup",
    {
      description: "Reads a setup row, writes it back one version on, and asks AgentRuntime once.",
      inputSchema: { setup_id: z.string(), step: z.string() },
    },
    async ({ setup_id, step }) => {
      const read = await pool.query<{ version: number }>(
        "SELECT version FROM floor_setups WHERE id = $1",
        [setup_id],
      );
      const version = read.rows[0]?.version ?? 0;
      await pool.query(
        `INSERT INTO floor_setups (id, snapshot, version) VALUES ($1, $2, 1)
         ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, version = floor_setups.version + 1
         WHERE floor_setups.version = $3`,
        [setup_id, JSON.stringify({ step }), version],
      );
      const response = await fetch(`${apiUrl}/v1/inbound-webhooks?limit=1`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      const text = await response.text();
      return { content: [{ type: "text", text }], isError: !response.ok };
    },
  );
  return server;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const http = createServer(async (req, res) => {
  if (req.method !== "POST") {
    req.resume();
    res.writeHead(405).end();
    return;
  }
  const bearer = (req.headers.authorization ?? "").replace(/^Bearer /, "");
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  const server = protocolServer(bearer);
  res.once("close", () => {
    void transport.close();
    void server.close();
  });
  try {
    const body = await readJson(req);
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  } catch {
    if (!res.headersSent) res.writeHead(400).end();
  }
});
http.listen(0, "127.0.0.1", () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});

const stop = () => {
  http.close();
  http.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
