import { join } from "node:path";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { TOOLSETS, type ToolsetName, toolsIn } from "../../tools/index.js";
import { originOf } from "../mcp/cors.js";
import { createMcpRuntime, type McpRuntime } from "../mcp/runtime.js";
import type { SecretDelivery, ToolDefinition } from "../mcp/tool.js";
import {
  BACKEND_FLAGS,
  backendFlags,
  choiceFlag,
  defaultDataDir,
  defaultSandboxDb,
  integerFlag,
  parseCommandArgs,
  UsageError,
} from "./args.js";
import { type Backend, keepUpCommand, openBackend } from "./backend.js";
import { hostedConfig } from "./hosted-flags.js";
import { packageVersion } from "./version.js";

export const MCP_HELP = `Usage: agentruntime-webhooks mcp [options]

Serves the inbound-webhook MCP tools, over stdio (default) or Streamable HTTP.

Options:
  --transport <stdio|http>   how MCP clients connect (default stdio)
  --host <address>           HTTP: address to listen on (default 127.0.0.1)
  --port <n>                 HTTP: port, 0 for any free port (default 8808)
  --http-token <token>       HTTP: bearer token clients must send; required beyond loopback
                             (default $AGENTRUNTIME_MCP_HTTP_TOKEN)
  --allowed-host <host:port> HTTP: another Host header to accept (repeatable)
  --allowed-origin <origin>  HTTP: a browser-based MCP host at this origin (such as
                             https://host.example) may call /mcp from its pages
                             (CORS; repeatable; never *)
  --toolsets <list>          comma-separated groups of tools to register: wizard,
                             webhooks, operations (default: all three)
  --read-only                register only the tools that read
  --secret-delivery <page|inline>
                             page: new signing secrets are shown once on a loopback page
                             (default); inline: returned in the tool result. UNSAFE with
                             hosted models: the secret then passes through the model.
  --page-port <n>            port of the one-time pages on 127.0.0.1 (default: any free)
  --api-url <url>            AgentRuntime API (default $AGENTRUNTIME_API_URL; without
                             one, an embedded sandbox is started)
  --token <token>            AgentRuntime user token (default $AGENTRUNTIME_TOKEN;
                             prefer the variable: flags show in the process list)
  --sandbox-db <path>        database of the embedded sandbox
                             (default <data folder>/sandbox.db)
  --wizard-db <path>         where guided setups are kept between restarts
                             (default <data folder>/wizards.db; :memory: keeps none)
  --public-url <https://…>   HTTP: the origin clients and people reach this server at;
                             one-time pages are then served at <public-url>/once/<id>
                             by this server, not on a loopback port
  --store <url>              hosted mode: postgres://… (or a SQLite file) shared by every
                             replica (default $DATABASE_URL when --public-url is given);
                             needs --public-url, --api-url and $AGENTRUNTIME_PAGE_KEY, and
                             each request's bearer is the caller's AgentRuntime user token
  --json                     HTTP: print {"url"} as one JSON line on stdout once listening
  -h, --help                 show this help
`;

type McpIo = {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
};

/** The flags of `mcp` as parsed, before any of them is checked. */
function parseMcpArgs(argv: string[]) {
  return parseCommandArgs("mcp", argv, {
    transport: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    "http-token": { type: "string" },
    "allowed-host": { type: "string", multiple: true },
    "allowed-origin": { type: "string", multiple: true },
    toolsets: { type: "string" },
    "read-only": { type: "boolean" },
    "secret-delivery": { type: "string" },
    "page-port": { type: "string" },
    "public-url": { type: "string" },
    store: { type: "string" },
    ...BACKEND_FLAGS,
    "wizard-db": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }).values;
}

type McpValues = ReturnType<typeof parseMcpArgs>;

/** The checked choices every way of serving needs. */
interface McpChoices {
  transport: "stdio" | "http";
  secretDelivery: SecretDelivery;
  tools: ToolDefinition[];
  port: number;
  pagePort: number;
  host: string;
  publicUrl: string | undefined;
  httpToken: string | undefined;
  allowedOrigins: string[];
}

function mcpChoices(command: string, values: McpValues, env: NodeJS.ProcessEnv): McpChoices {
  const transport =
    choiceFlag(command, "transport", values.transport, ["stdio", "http"] as const) ?? "stdio";
  const secretDelivery: SecretDelivery =
    choiceFlag(command, "secret-delivery", values["secret-delivery"], [
      "page",
      "inline",
    ] as const) ?? "page";
  const tools = toolsetsFlag(command, values.toolsets);
  const port = integerFlag(command, "port", values.port, { min: 0, max: 65535 }) ?? 8808;
  const pagePort =
    integerFlag(command, "page-port", values["page-port"], { min: 0, max: 65535 }) ?? 0;
  const publicUrl = values["public-url"];
  if (publicUrl && transport !== "http") {
    throw new UsageError(
      "--public-url needs --transport http: stdio keeps loopback pages",
      command,
    );
  }
  const host = values.host ?? "127.0.0.1";
  const httpToken = values["http-token"] ?? env.AGENTRUNTIME_MCP_HTTP_TOKEN;
  const allowedOrigins = originsFlag(command, values["allowed-origin"], transport);
  return {
    transport,
    secretDelivery,
    tools,
    port,
    pagePort,
    host,
    publicUrl,
    httpToken,
    allowedOrigins,
  };
}

/** The `--allowed-origin` values, each exactly as a browser sends it in `Origin`. */
function originsFlag(
  command: string,
  values: string[] | undefined,
  transport: McpChoices["transport"],
): string[] {
  if (values?.length && transport !== "http") {
    throw new UsageError("--allowed-origin needs --transport http", command);
  }
  return (values ?? []).map((value) => {
    const checked = originOf(value);
    if ("problem" in checked) throw new UsageError(`--allowed-origin ${checked.problem}`, command);
    return checked.origin;
  });
}

export async function runMcpCommand(argv: string[], io: McpIo): Promise<undefined> {
  const command = "mcp";
  const values = parseMcpArgs(argv);
  if (values.help) {
    io.stdout.write(MCP_HELP);
    return;
  }
  const choices = mcpChoices(command, values, io.env);
  const { transport, secretDelivery, tools, publicUrl } = choices;
  // stdout belongs to the MCP protocol on stdio; everything for people goes to stderr.
  const say = (line: string) => io.stderr.write(`agentruntime-webhooks mcp: ${line}\n`);
  const hosted = hostedConfig(
    command,
    {
      store: values.store,
      publicUrl,
      transport,
      apiUrl: values["api-url"],
      token: values.token,
      httpToken: choices.httpToken,
    },
    io.env,
  );
  if (hosted) {
    const { runHosted } = await import("../hosted/serve.js");
    return runHosted(hosted, io, {
      tools,
      secretDelivery,
      readOnly: values["read-only"] ?? false,
      version: packageVersion(),
      host: choices.host,
      port: choices.port,
      allowedHosts: values["allowed-host"],
      allowedOrigins: choices.allowedOrigins,
      json: values.json ?? false,
      log: say,
    });
  }

  const backend = await openBackend(command, backendFlags(values), io.env, say);
  const runtime = createMcpRuntime({
    patHelp: localPatHelp(backend, backendFlags(values).sandboxDb, io.env),
    client: backend.client,
    tools,
    wizardDb: values["wizard-db"] ?? join(defaultDataDir(io.env), "wizards.db"),
    pagePort: choices.pagePort,
    publicUrl,
    secretDelivery,
    readOnly: values["read-only"] ?? false,
    version: packageVersion(),
    log: say,
  });
  if (secretDelivery === "inline") {
    say(
      "secret delivery is inline: new signing secrets are returned in tool results, so they pass through the model.",
    );
  }
  const stopped = untilStopped(transport);
  let closeTransport: () => Promise<void>;
  if (transport === "stdio") {
    const server = runtime.createServer();
    await server.connect(new StdioServerTransport());
    closeTransport = () => server.close();
  } else {
    closeTransport = await serveHttp(choices, values, runtime, say, io).catch(
      async (error: unknown) => {
        // A refusal to start closes what was opened, so the process exits at once.
        await runtime.close();
        await backend.close();
        throw error;
      },
    );
  }
  await stopped;
  await closeTransport();
  await runtime.close();
  await backend.close();
}

/** Resolves on SIGINT, SIGTERM or, on stdio, the end of stdin. */
function untilStopped(transport: McpChoices["transport"]): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      // Closing must not keep the process alive: a second signal, or 2 s, ends it.
      setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (transport === "stdio") process.stdin.once("end", stop);
  });
}

/** Serves Streamable HTTP and prints where; the answer closes it. */
async function serveHttp(
  choices: McpChoices,
  values: McpValues,
  runtime: McpRuntime,
  say: (line: string) => void,
  io: McpIo,
): Promise<() => Promise<void>> {
  // Loaded only for HTTP: stdio hosts start the server often, and this costs ~90 ms.
  const { startMcpHttp } = await import("../mcp/http-transport.js");
  const { publicUrl } = choices;
  const http = await startMcpHttp({
    createServer: runtime.createServer,
    host: choices.host,
    port: choices.port,
    bearerToken: choices.httpToken,
    allowedHosts: values["allowed-host"],
    allowedOrigins: choices.allowedOrigins,
    log: say,
    ...(publicUrl
      ? { publicUrl, routes: (path, req, res) => runtime.pages.answer(path, req, res) }
      : {}),
  });
  io.stdout.write(
    values.json
      ? `${JSON.stringify({ url: http.url })}\n`
      : `MCP server listening on ${http.url}\n`,
  );
  return () => http.close();
}

/** The tools of the `--toolsets` groups; an unknown group is a usage error naming the choices. */
function toolsetsFlag(command: string, value: string | undefined): ToolDefinition[] {
  const toolsets = (value ?? "wizard,webhooks,operations")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of toolsets) {
    if (!Object.hasOwn(TOOLSETS, name)) {
      throw new UsageError(
        `--toolsets takes a comma-separated list of ${Object.keys(TOOLSETS).join(", ")}, not "${name}"`,
        command,
      );
    }
  }
  return toolsIn(toolsets as ToolsetName[]);
}

/**
 * On a local sandbox kept in a file, the command that prints its demo PATs while this server
 * holds it; against any other AgentRuntime, nothing.
 */
function localPatHelp(
  backend: Backend,
  sandboxDb: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const db = sandboxDb ?? defaultSandboxDb(env);
  if (!backend.sandbox || db === ":memory:") return undefined;
  return `On this local sandbox, ${keepUpCommand(db, env)} prints each key's PAT, also while this server runs it.`;
}
