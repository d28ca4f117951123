import { startMcpHttp } from "../mcp/http-transport.js";
import type { SecretDelivery, ToolDefinition } from "../mcp/tool.js";
import { openPostgresSetupStore } from "../setup-store/postgres.js";
import { createSealer } from "../setup-store/seal.js";
import type { SetupStore } from "../setup-store/setup-store.js";
import { openSqliteSetupStore } from "../setup-store/sqlite.js";
import { callerGate } from "./authenticate.js";
import { forCallers } from "./caller-failures.js";
import type { HostedConfig } from "./config.js";
import { createHostedMetrics } from "./metrics.js";
import { hostedRoutes } from "./operations.js";
import { createHostedRuntime } from "./runtime.js";

/** How often expired pages are wiped and idle setups deleted. */
const SWEEP_MS = 30_000;

/** A `postgres://` URL opens PostgreSQL; anything else is a SQLite file (`sqlite:` prefix optional). */
export function openSetupStore(storeUrl: string): SetupStore {
  if (/^postgres(ql)?:\/\//.test(storeUrl))
    return openPostgresSetupStore({ connectionString: storeUrl });
  return openSqliteSetupStore({ path: storeUrl.replace(/^sqlite:/, "") });
}

export interface RunningHosted {
  url: string;
  close(): Promise<void>;
}

/** Migrates the store, then serves MCP, pages, health and metrics on one port. */
export async function startHosted(
  config: HostedConfig,
  options: {
    tools: readonly ToolDefinition[];
    secretDelivery: SecretDelivery;
    readOnly: boolean;
    version: string;
    host: string;
    port: number;
    allowedHosts?: readonly string[];
    allowedOrigins?: readonly string[];
    log: (line: string) => void;
    requestLog: (line: string) => void;
  },
): Promise<RunningHosted> {
  const store = openSetupStore(config.storeUrl);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw new Error(
      `cannot prepare the store: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const metrics = createHostedMetrics(() => store.countOpenWizards());
  const runtime = createHostedRuntime({
    store,
    sealer: createSealer(config.pageKey),
    publicUrl: config.publicUrl,
    apiUrl: config.apiUrl,
    // Each caller's own token is the one AgentRuntime judges, unless single-tenant.
    tools: config.single ? options.tools : options.tools.map(forCallers),
    secretDelivery: options.secretDelivery,
    readOnly: options.readOnly,
    version: options.version,
    metrics,
    log: options.log,
  });
  const single = config.single;
  const http = await startMcpHttp({
    host: options.host,
    port: options.port,
    bearerToken: single?.httpToken,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    publicUrl: config.publicUrl,
    perRequest: (bearer) => runtime.serverFor(single ? single.token : bearer),
    // Single-tenant callers were admitted by the HTTP token; every other bearer is AgentRuntime's to judge.
    authenticate: single
      ? undefined
      : callerGate({
          apiUrl: config.apiUrl,
          // A caller waits for an answer: one short try, then 503 with Retry-After.
          client: { maxRetries: 0, timeoutMs: 5_000 },
          refused: (reason) => metrics.refused(reason),
        }),
    routes: hostedRoutes({
      pages: runtime.pages,
      ready: () => store.ready(),
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
    }),
    log: options.log,
    requestLog: options.requestLog,
  });
  const sweep = setInterval(() => {
    runtime.sweep().catch((error) => options.log(`sweep failed: ${String(error)}`));
  }, SWEEP_MS);
  sweep.unref();
  return {
    url: http.url,
    async close() {
      clearInterval(sweep);
      await http.close();
      await store.close();
    },
  };
}

/** `mcp` in hosted mode: runs until SIGTERM or SIGINT, then drains requests in flight. */
export async function runHosted(
  config: HostedConfig,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  options: Omit<Parameters<typeof startHosted>[1], "requestLog" | "log"> & {
    json: boolean;
    log: (line: string) => void;
  },
): Promise<undefined> {
  const running = await startHosted(config, {
    ...options,
    requestLog: (line) => io.stderr.write(`${line}\n`),
  });
  io.stdout.write(
    options.json
      ? `${JSON.stringify({ url: running.url })}\n`
      : `MCP server listening on ${running.url} (hosted; pages at ${config.publicUrl}/once/…)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  options.log("shutting down: finishing the requests in flight");
  await running.close();
  return undefined;
}
