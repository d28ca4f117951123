import { randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Server as McpProtocolServer } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

export interface McpHttpOptions {
  /** A new protocol server for each session. */
  createServer: () => McpProtocolServer;
  host: string;
  port: number;
  /** Required as `Authorization: Bearer` when set; must be set to listen beyond loopback. */
  bearerToken?: string;
  /** Extra `Host` values to accept (a name this server is reached by), beside its own address. */
  allowedHosts?: readonly string[];
  log?: (line: string) => void;
}

export interface RunningMcpHttp {
  url: string;
  sessions(): number;
  close(): Promise<void>;
}

function rpcError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

function sameToken(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_MESSAGE_BYTES) {
        reject(new Error("message too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new Error("not JSON"));
      }
    });
    req.on("error", reject);
  });
}

/**
 * Serves MCP over Streamable HTTP at `/mcp`, one stateful session per client. Requests whose
 * `Host` or `Origin` is not this server's own are refused (DNS rebinding), and a bearer token
 * is required whenever one is configured.
 */
export async function startMcpHttp(options: McpHttpOptions): Promise<RunningMcpHttp> {
  if (!isLoopback(options.host) && !options.bearerToken) {
    throw new Error(
      `refusing to serve MCP on ${options.host} without a bearer token: set AGENTRUNTIME_MCP_HTTP_TOKEN (or --http-token), or listen on 127.0.0.1`,
    );
  }
  const log = options.log ?? (() => {});
  const transports = new Map<string, StreamableHTTPServerTransport>();
  let allowedHosts = new Set<string>();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://mcp.invalid");
    if (url.pathname !== "/mcp") return rpcError(res, 404, "Not found: the MCP endpoint is /mcp.");
    if (!allowedHosts.has(req.headers.host ?? "")) {
      return rpcError(
        res,
        403,
        "Forbidden: this Host is not served here (DNS rebinding protection).",
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = undefined;
      }
      if (!originHost || !allowedHosts.has(originHost)) {
        return rpcError(res, 403, "Forbidden: requests from this Origin are not accepted.");
      }
    }
    if (options.bearerToken) {
      const sent = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      if (!sent || !sameToken(sent, options.bearerToken)) {
        return rpcError(res, 401, "Unauthorized: send the MCP server's bearer token.", {
          "www-authenticate": "Bearer",
        });
      }
    }
    try {
      const sessionId = req.headers["mcp-session-id"];
      const existing = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
      if (req.method === "POST") {
        const body = await readJson(req).catch(() => undefined);
        if (body === undefined)
          return rpcError(res, 400, "Bad request: the body must be JSON-RPC.");
        if (existing) return await existing.handleRequest(req, res, body);
        if (sessionId !== undefined) {
          return rpcError(res, 404, "Session not found: start a new session with initialize.");
        }
        if (!isInitializeRequest(body)) {
          return rpcError(
            res,
            400,
            "Bad request: the first message of a session must be initialize.",
          );
        }
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          onsessioninitialized: (id) => {
            transports.set(id, transport);
          },
        });
        transport.onclose = () => {
          if (transport.sessionId) transports.delete(transport.sessionId);
        };
        await options.createServer().connect(transport);
        return await transport.handleRequest(req, res, body);
      }
      if (req.method === "GET" || req.method === "DELETE") {
        if (!existing)
          return rpcError(res, 404, "Session not found: start a new session with initialize.");
        return await existing.handleRequest(req, res);
      }
      return rpcError(res, 405, "Method not allowed: use POST, GET or DELETE.", {
        allow: "POST, GET, DELETE",
      });
    } catch (error) {
      log(`MCP HTTP request failed: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) rpcError(res, 500, "Internal error.");
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hosts = isLoopback(options.host) ? ["127.0.0.1", "localhost", "[::1]"] : [options.host];
  allowedHosts = new Set([
    ...hosts.map((host) => `${host}:${port}`),
    ...(options.allowedHosts ?? []),
  ]);
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/mcp`,
    sessions: () => transports.size,
    async close() {
      await Promise.all([...transports.values()].map((transport) => transport.close()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
