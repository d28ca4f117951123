import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createHostedMetrics } from "../../src/hosted/metrics.js";
import { createHostedRuntime } from "../../src/hosted/runtime.js";
import { startMcpHttp } from "../../src/mcp/http-transport.js";
import { openPostgresStore } from "../../src/store/postgres-store.js";
import { createSealer } from "../../src/store/seal.js";
import { TOOLS } from "../../tools/index.js";
import { connectHosted, startRoundRobin, TEST_PAGE_KEY } from "./hosted.js";
import { connectMcp } from "./mcp.js";
import type { TestPostgres } from "./postgres.js";
import type { TestSandbox } from "./sandbox.js";

/** One MCP connection of a model, in either mode, and the state it keeps about setups. */
export interface ModeConnection {
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Every stored setup snapshot (and sealed value) as text, for checks that no secret was written. */
  dump(): Promise<string>;
  /** What the server logged for this connection (hosted: its replica's log and request log). */
  logs(): string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** The AgentRuntime API this connection calls (default: the sandbox). */
  baseUrl?: string;
  /** Local mode: a wizard database shared with a later connection (a "restart"); hosted mode always shares its store. */
  wizardDb?: string;
}

/** A way to run the MCP server: local (SQLite wizard file, in-process pages) or hosted. */
export interface ServerMode {
  hosted: boolean;
  connect(options?: ConnectOptions): Promise<ModeConnection>;
  close(): Promise<void>;
}

/** The local mode: a real SDK client over the in-memory transport, setups in SQLite. */
export async function localMode(sandbox: TestSandbox): Promise<ServerMode> {
  const open = new Set<ModeConnection>();
  return {
    hosted: false,
    async connect(options = {}) {
      const mcp = await connectMcp(sandbox, options);
      const connection: ModeConnection = {
        call: mcp.call,
        dump: async () => mcp.wizardStore.dump(),
        logs: () => mcp.logs.join("\n"),
        async close() {
          if (open.delete(connection)) await mcp.close();
        },
      };
      open.add(connection);
      return connection;
    },
    async close() {
      for (const connection of [...open]) await connection.close().catch(() => {});
    },
  };
}

/**
 * The hosted mode over a fresh PostgreSQL database: each connection is its own replica in this
 * process, reached over Streamable HTTP; pages are served behind one balancer at the public URL,
 * so a page opened after its replica stopped is answered by another one.
 */
export async function hostedMode(
  sandbox: TestSandbox,
  postgres: TestPostgres,
): Promise<ServerMode> {
  const store = await openPostgresStore({ connectionString: await postgres.createDatabase() });
  await store.migrate();
  const balancer = await startRoundRobin();
  const metrics = createHostedMetrics(() => store.countOpenWizards());
  const replicas = new Set<ModeConnection>();
  return {
    hosted: true,
    async connect(options = {}) {
      const logs: string[] = [];
      const runtime = createHostedRuntime({
        store,
        sealer: createSealer(TEST_PAGE_KEY),
        publicUrl: balancer.url,
        apiUrl: options.baseUrl ?? sandbox.url,
        tools: TOOLS,
        version: "0.0.0-test",
        metrics,
        client: { retryBaseMs: 1 },
        log: (line) => logs.push(line),
      });
      const http = await startMcpHttp({
        host: "127.0.0.1",
        port: 0,
        publicUrl: balancer.url,
        routes: (path, req, res) => runtime.pages.answer(path, req, res),
        perRequest: (bearer) => runtime.serverFor(bearer),
        requestLog: (line) => logs.push(line),
      });
      const port = Number(new URL(http.url).port);
      balancer.targets.push(port);
      const caller = await connectHosted(`http://127.0.0.1:${port}`, sandbox.tokens.contributor);
      const connection: ModeConnection = {
        call: caller.call,
        dump: () => store.dump(),
        logs: () => logs.join("\n"),
        async close() {
          if (!replicas.delete(connection)) return;
          balancer.targets.splice(balancer.targets.indexOf(port), 1);
          await caller.close().catch(() => {});
          await http.close();
        },
      };
      replicas.add(connection);
      return connection;
    },
    async close() {
      for (const replica of [...replicas]) await replica.close();
      await balancer.close();
      await store.close();
    },
  };
}
