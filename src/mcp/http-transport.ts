import { randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Server as McpProtocolServer } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { type Cors, corsFor } from "./cors.js";
import { readJsonRpc, refuse } from "./http-limits.js";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

export interface McpHttpOptions {
  /** A new protocol server for each session (unless `perRequest` is set). */
  createServer?: () => McpProtocolServer;
  host: string;
  port: number;
  /** Required as `Authorization: Bearer` when set; must be set to listen beyond loopback. */
  bearerToken?: string;
  /** Extra `Host` values to accept (a name this server is reached by), beside its own address. */
  allowedHosts?: readonly string[];
  /** Origins of browser-based hosts that may call `/mcp` across origins (CORS). */
  allowedOrigins?: readonly string[];
  log?: (line: string) => void;
  /** The origin people and clients reach this server at (`--public-url`): its Host and Origin are accepted. */
  publicUrl?: string;
  /**
   * Stateless mode: no sessions; every POST gets a new protocol server for the caller's bearer
   * token, so any replica behind a load balancer answers any request.
   */
  perRequest?: (bearer: string) => McpProtocolServer;
  /**
   * More endpoints on the same port, asked before `/mcp` (from any Host, like `/healthz`); true
   * when it answered. `draining` is true once `close` has begun.
   */
  routes?: (
    pathname: string,
    req: IncomingMessage,
    res: ServerResponse,
    draining: boolean,
  ) => Promise<boolean>;
  /** Stateless mode: admits a bearer before anything else happens, or answers the refusal and says false. */
  authenticate?: (bearer: string, res: ServerResponse) => Promise<boolean>;
  /** One JSON line per request: request id, route, status, time; never a token or a page id. */
  requestLog?: (line: string) => void;
  /** How long `close` waits for calls in flight before cutting them off (default 25 s). */
  drainMs?: number;
}

export interface RunningMcpHttp {
  url: string;
  sessions(): number;
  /** Requests being answered right now. */
  inFlight(): number;
  /** Stops taking requests, lets those in flight finish (up to `drainMs`), then closes. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The JSON-RPC method and tool name of a single message, for the request log. */
function rpcOf(body: unknown): RequestFacts {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return {};
  const message = body as { method?: unknown; params?: { name?: unknown } };
  const rpc = typeof message.method === "string" ? message.method.slice(0, 64) : undefined;
  const name = message.params?.name;
  return {
    rpc,
    tool: rpc === "tools/call" && typeof name === "string" ? name.slice(0, 64) : undefined,
  };
}

/** The transport's own refusals, under the implementation-defined server error code. */
function rpcError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  refuse(res, status, -32000, message, headers);
}

function plain(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(`${text}\n`);
}

function sameToken(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

type RequestFacts = { rpc?: string; tool?: string };

/** The request log's JSON line: no token, no body, no page id. */
function logLine(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  started: number,
  facts: RequestFacts,
): string {
  const path = new URL(req.url ?? "/", "http://mcp.invalid").pathname;
  return JSON.stringify({
    time: new Date().toISOString(),
    request_id: requestId,
    method: req.method,
    // A page id is a capability: whoever has it can open the page.
    path: path.startsWith("/once/") ? "/once/…" : path.slice(0, 64),
    status: res.statusCode,
    duration_ms: Math.round((performance.now() - started) * 10) / 10,
    ...facts,
  });
}

/** One request, one protocol server, no session: what lets any replica answer. */
async function answerStateless(
  req: IncomingMessage,
  res: ServerResponse,
  protocol: McpProtocolServer,
  facts: RequestFacts,
  log: (line: string) => void,
): Promise<void> {
  if (req.method !== "POST") {
    req.resume();
    return rpcError(res, 405, "Method not allowed: this server keeps no sessions; POST to /mcp.", {
      allow: "POST",
    });
  }
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  res.once("close", () => {
    void transport.close();
    void protocol.close();
  });
  try {
    const body = await readJsonRpc(req, res);
    if (body === undefined) return;
    Object.assign(facts, rpcOf(body));
    await protocol.connect(transport);
    await transport.handleRequest(req, res, body);
  } catch (error) {
    log(`MCP HTTP request failed: ${error instanceof Error ? error.stack : String(error)}`);
    if (!res.headersSent) rpcError(res, 500, "Internal error.");
  }
}

/** The bearer token a request carries, if any. */
function bearerOf(req: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
}

/**
 * Refuses (and answers) a request to `/mcp` whose Host or Origin is not this server's own
 * (DNS rebinding), or that lacks the configured bearer token; false when it may pass.
 */
function refusedAtTheDoor(
  req: IncomingMessage,
  res: ServerResponse,
  allowedHosts: ReadonlySet<string>,
  bearerToken: string | undefined,
  cors: Cors,
): boolean {
  if (!allowedHosts.has(req.headers.host ?? "")) {
    rpcError(res, 403, "Forbidden: this Host is not served here (DNS rebinding protection).");
    return true;
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (!cors.allows(origin) && (!originHost || !allowedHosts.has(originHost))) {
      rpcError(res, 403, "Forbidden: requests from this Origin are not accepted.");
      return true;
    }
  }
  const bearer = bearerOf(req);
  if (bearerToken && (!bearer || !sameToken(bearer, bearerToken))) {
    rpcError(res, 401, "Unauthorized: send the MCP server's bearer token.", {
      "www-authenticate": "Bearer",
    });
    return true;
  }
  return false;
}

/** One request of a stateful session: initialize opens one, later requests name theirs. */
async function answerSession(
  req: IncomingMessage,
  res: ServerResponse,
  transports: Map<string, StreamableHTTPServerTransport>,
  createSession: (() => McpProtocolServer) | undefined,
): Promise<void> {
  const sessionId = req.headers["mcp-session-id"];
  const existing = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
  if (req.method === "POST") {
    const body = await readJsonRpc(req, res);
    if (body === undefined) return;
    if (existing) return await existing.handleRequest(req, res, body);
    if (sessionId !== undefined) {
      return rpcError(res, 404, "Session not found: start a new session with initialize.");
    }
    if (!isInitializeRequest(body)) {
      return rpcError(res, 400, "Bad request: the first message of a session must be initialize.");
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
    const session = createSession?.();
    if (!session) return rpcError(res, 500, "Internal error.");
    await session.connect(transport);
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
}

/** Listens and answers the port taken (the one asked for, or any free one for 0). */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** The `Host` values this server answers to: its own address, the allowed ones, its public host. */
function hostsServed(
  options: McpHttpOptions,
  port: number,
  publicHost: string | undefined,
): Set<string> {
  const hosts = isLoopback(options.host) ? ["127.0.0.1", "localhost", "[::1]"] : [options.host];
  return new Set([
    ...hosts.map((host) => `${host}:${port}`),
    ...(options.allowedHosts ?? []),
    ...(publicHost ? [publicHost] : []),
  ]);
}

/** A server beyond loopback needs a bearer token; a server needs sessions or stateless callers. */
function refuseUnsafeOptions(options: McpHttpOptions): void {
  if (!isLoopback(options.host) && !options.bearerToken && !options.perRequest) {
    throw new Error(
      `refusing to serve MCP on ${options.host} without a bearer token: set AGENTRUNTIME_MCP_HTTP_TOKEN (or --http-token), or listen on 127.0.0.1`,
    );
  }
  if (!options.createServer && !options.perRequest)
    throw new Error("startMcpHttp needs createServer (sessions) or perRequest (stateless)");
}

/** A stateless request: its bearer is required, admitted (when a gate is set), then answered. */
async function answerCaller(
  req: IncomingMessage,
  res: ServerResponse,
  options: McpHttpOptions,
  facts: RequestFacts,
  log: (line: string) => void,
): Promise<void> {
  const bearer = bearerOf(req);
  if (!bearer || !options.perRequest) {
    return rpcError(res, 401, "Unauthorized: send your AgentRuntime user token as the bearer.", {
      "www-authenticate": "Bearer",
    });
  }
  if (options.authenticate && !(await options.authenticate(bearer, res))) return;
  return answerStateless(req, res, options.perRequest(bearer), facts, log);
}

/**
 * Serves MCP over Streamable HTTP at `/mcp`, one stateful session per client. Requests whose
 * `Host` or `Origin` is not this server's own are refused (DNS rebinding), and a bearer token
 * is required whenever one is configured.
 */
export async function startMcpHttp(options: McpHttpOptions): Promise<RunningMcpHttp> {
  refuseUnsafeOptions(options);
  const log = options.log ?? (() => {});
  const createSession = options.createServer;
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const cors = corsFor(options.allowedOrigins ?? []);
  let allowedHosts = new Set<string>();
  const publicHost = options.publicUrl ? new URL(options.publicUrl).host : undefined;
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;

  const server = createServer((req, res) => {
    const started = performance.now();
    const sent = req.headers["x-request-id"];
    const requestId = typeof sent === "string" && REQUEST_ID.test(sent) ? sent : randomUUID();
    res.setHeader("x-request-id", requestId);
    const facts: RequestFacts = {};
    inFlight += 1;
    res.once("close", () => {
      inFlight -= 1;
      if (draining && inFlight === 0) drained?.();
      options.requestLog?.(logLine(req, res, requestId, started, facts));
    });
    void route(req, res, facts);
  });

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    facts: RequestFacts,
  ): Promise<void> {
    const url = new URL(req.url ?? "/", "http://mcp.invalid");
    if (url.pathname === "/healthz") return plain(res, 200, "ok");
    if (await options.routes?.(url.pathname, req, res, draining)) return;
    if (url.pathname !== "/mcp") return rpcError(res, 404, "Not found: the MCP endpoint is /mcp.");
    if (cors.answer(req, res)) return;
    if (refusedAtTheDoor(req, res, allowedHosts, options.bearerToken, cors)) return;
    if (options.perRequest) return answerCaller(req, res, options, facts, log);
    try {
      await answerSession(req, res, transports, createSession);
    } catch (error) {
      log(`MCP HTTP request failed: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) rpcError(res, 500, "Internal error.");
    }
  }

  const port = await listen(server, options.port, options.host);
  allowedHosts = hostsServed(options, port, publicHost);
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/mcp`,
    sessions: () => transports.size,
    inFlight: () => inFlight,
    async close() {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Sessions hold open event streams; stateless requests are short and are let finish.
      await Promise.all([...transports.values()].map((transport) => transport.close()));
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, options.drainMs ?? 25_000).unref();
        });
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
