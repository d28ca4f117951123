import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import type { Workflow } from "../contract/schemas.js";
import { startCheckpointer } from "./checkpointer.js";
import { SandboxDatabase } from "./database.js";
import { seedDatabase } from "./demo-data.js";
import { BODY_TIMEOUT_MS, sendProblem } from "./http.js";
import { IngressWriter } from "./ingress-writer.js";
import { ApiProblem, storageProblem } from "./problems.js";
import { createRouter, type Router } from "./routes.js";
import { loadKeyFile, SecretBox } from "./secrets.js";
import { UnmatchedIngressTally } from "./unmatched.js";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface SandboxOptions {
  /** A SQLite file path, or `:memory:` for a throwaway sandbox. */
  db: string;
  host?: string;
  port?: number;
  /** The base of every `ingress_url`; defaults to the address the sandbox listens on. */
  publicUrl?: string;
  maxBodyBytes?: number;
  /** How long request headers, and then a body, may take to arrive (default 10 s each). */
  requestTimeoutMs?: number;
  /** What a new database is filled with; an existing one is never re-seeded. */
  seed?: "demo" | "none";
  /** The deployment's `inbound_webhooks` switch. */
  inboundWebhooks?: boolean;
  /** One line per request and per problem; never bodies, tokens or secrets. */
  log?: (line: string) => void;
  now?: () => Date;
}

/** What a person (or a test) needs to use a running sandbox. */
export interface SandboxInfo {
  url: string;
  tokens: { contributor: string; viewer: string };
  workflows: Workflow[];
  api_keys: { id: string; name: string; in_vault: boolean; pat: string }[];
}

export interface RunningSandbox extends SandboxInfo {
  store: SandboxDatabase;
  server: Server;
  close(): Promise<void>;
}

function openStore(options: SandboxOptions, ingressBase: () => string): SandboxDatabase {
  if (options.db === ":memory:") {
    return new SandboxDatabase({
      path: ":memory:",
      box: new SecretBox(randomBytes(32)),
      ingressBase,
    });
  }
  mkdirSync(dirname(options.db), { recursive: true, mode: 0o700 });
  // A key is made only together with a new database; an existing one must bring its own.
  const key = loadKeyFile(`${options.db}.key`, !existsSync(options.db));
  return new SandboxDatabase({ path: options.db, box: new SecretBox(key), ingressBase });
}

/**
 * Answers each request through the router: a request id on every answer, an `ApiProblem` as
 * its JSON error, anything else as a 500 whose details go to the log, one log line per request.
 */
function requestListener(
  route: Router,
  log: ((line: string) => void) | undefined,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  // Unique per process start and cheap per request: a random prefix and a counter.
  const requestPrefix = randomBytes(4).toString("hex");
  let requestCount = 0;
  return async (req, res) => {
    const started = performance.now();
    requestCount += 1;
    const requestId = `req_${requestPrefix}${requestCount.toString(16).padStart(8, "0")}`;
    res.setHeader("x-request-id", requestId);
    let status: number;
    try {
      const url = new URL(req.url ?? "/", "http://sandbox.invalid");
      status = await route(req, res, url);
    } catch (error) {
      const known = error instanceof ApiProblem ? error : storageProblem(error);
      const problem =
        known ??
        new ApiProblem(
          500,
          "internal_error",
          `The sandbox failed on this request (request id ${requestId}); its log has the details.`,
        );
      if (!known) {
        log?.(
          `${requestId} internal error: ${error instanceof Error ? error.stack : String(error)}`,
        );
      }
      if (!res.headersSent) sendProblem(res, problem);
      else res.destroy();
      status = problem.status;
    }
    // Only the path: query strings may carry cursors, never needed in a log line.
    if (!log) return;
    const path = (req.url ?? "/").split("?")[0];
    log(
      `${requestId} ${req.method} ${path} ${status} ${(performance.now() - started).toFixed(1)}ms`,
    );
  };
}

/**
 * Starts the local AgentRuntime: the management API, public ingress and run starts, on
 * SQLite. Resolves once it listens, with the tokens and demo PATs a person needs.
 */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const host = options.host ?? "127.0.0.1";
  const now = options.now ?? (() => new Date());
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bodyTimeoutMs = options.requestTimeoutMs ?? BODY_TIMEOUT_MS;
  let base = options.publicUrl?.replace(/\/+$/, "") ?? "";
  // Where this process listens, for requests it sends to itself (test deliveries).
  let listeningUrl = "";

  const store = openStore(options, () => base);
  if (store.isEmpty()) seedDatabase(store, options.seed ?? "demo", now().toISOString());
  const writes = new IngressWriter((records) => store.writeIngressRecords(records));
  const checkpoints = options.db === ":memory:" ? undefined : startCheckpointer(store.db);
  const unmatched = new UnmatchedIngressTally((counts) => store.countUnmatchedIngress(counts));

  const route = createRouter({
    store,
    now,
    writes,
    unmatched,
    maxBodyBytes,
    bodyTimeoutMs,
    inboundWebhooks: options.inboundWebhooks ?? true,
    selfUrl: () => listeningUrl,
  });

  // Slow headers are cut by Node (408); slow bodies by ingress, which records them first.
  const serverTimeouts = {
    headersTimeout: bodyTimeoutMs,
    requestTimeout: bodyTimeoutMs * 3,
    connectionsCheckingInterval: Math.min(bodyTimeoutMs, 30_000) / 2,
  };
  const server = createServer(serverTimeouts, requestListener(route, options.log));
  server.keepAliveTimeout = 5000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 8787, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    writes.close();
    unmatched.close();
    await checkpoints?.close();
    store.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  if (!base) base = url;
  listeningUrl = url;

  const info = sandboxInfo(store, url);
  let closing: Promise<void> | undefined;
  return {
    ...info,
    store,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(async () => {
          writes.close();
          unmatched.close();
          await checkpoints?.close();
          store.close();
          resolve();
        });
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closing;
    },
  };
}

/** The tokens, workflows and demo PATs of a sandbox database, as a person needs them. */
export function sandboxInfo(store: SandboxDatabase, url: string): SandboxInfo {
  const credentials = store.credentials();
  const projectId = (store.db.prepare("SELECT id FROM projects LIMIT 1").get() as { id: string })
    .id;
  return {
    url,
    tokens: {
      contributor: credentials.get("token:contributor") ?? "",
      viewer: credentials.get("token:viewer") ?? "",
    },
    workflows: store.listWorkflows(projectId, 200).items,
    api_keys: store.listApiKeys(projectId, 200).items.map((key) => ({
      id: key.id,
      name: key.name,
      in_vault: key.in_vault,
      pat: credentials.get(`pat:${key.id}`) ?? "",
    })),
  };
}
