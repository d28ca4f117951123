import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { TOOLS } from "../../tools/index.js";
import { CARD_MIME_TYPE, UI_EXTENSION } from "../card/resource.js";
import { createMcpServer } from "../mcp/server.js";
import { McpWizards } from "../mcp/wizards.js";
import { OneTimePages } from "../pages/one-time-pages.js";
import { openLocalSetupStore } from "../setup-store/sqlite.js";
import { startChatWeb } from "../web/server.js";
import { integerFlag, parseCommandArgs } from "./args.js";
import { openBackend } from "./backend.js";
import { openInBrowser } from "./chat-command.js";
import { packageVersion } from "./version.js";

export const DEMO_HELP = `Usage: agentruntime-webhooks demo [options]

A scripted demo for support and first looks: the browser Chat page with the Inbound webhook
card and no model. Autopilot's lines are the guided setup's own words for each step; you
click the card. It runs a real setup on the embedded AgentRuntime sandbox, so it ends with a real curl
test and a real run. No key is needed.

Options:
  --port <n>                 port of the page on 127.0.0.1 (default 0: any free port)
  --sandbox-db <path>        the sandbox's SQLite file (default <data folder>/sandbox.db)
  --no-browser               print the address without opening a browser
  --json                     print one JSON line on stdout once ready (address, sandbox, keys)
  -h, --help                 show this help

Press Ctrl+C to stop; the sandbox stops with it.
`;

/** The demo runs only on the local sandbox, whose PATs its terminal prints at start. */
const DEMO_PAT_HELP =
  "On this local sandbox, the terminal where the demo runs shows each key's PAT.";

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv };

/** `agentruntime-webhooks demo`: the browser Chat without a model, on the embedded sandbox. */
export async function runDemoCommand(argv: string[], io: Io): Promise<undefined> {
  const command = "demo";
  const { values } = parseCommandArgs(command, argv, {
    port: { type: "string" },
    "sandbox-db": { type: "string" },
    "no-browser": { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(DEMO_HELP);
    return;
  }
  const port = integerFlag(command, "port", values.port, { min: 0, max: 65535 }) ?? 0;
  const note = (line: string) => io.stderr.write(`${line}\n`);
  // The demo always uses the embedded sandbox: it must never touch a real AgentRuntime.
  const env = { ...io.env, AGENTRUNTIME_API_URL: undefined, AGENTRUNTIME_TOKEN: undefined };
  const backend = await openBackend(command, { sandboxDb: values["sandbox-db"] }, env, note);
  const pages = new OneTimePages();
  const { store, setups } = await openLocalSetupStore(":memory:");
  const patHelp = DEMO_PAT_HELP;
  const wizards = new McpWizards({ client: backend.client, pages, setups, patHelp });
  const server = createMcpServer({
    client: backend.client,
    tools: TOOLS,
    pages,
    wizards: async () => wizards,
    version: packageVersion(),
    log: note,
  });
  const mcp = new Client(
    { name: "agentruntime-chat", version: packageVersion() },
    {
      capabilities: {
        extensions: { [UI_EXTENSION]: { mimeTypes: [CARD_MIME_TYPE] } },
      },
    },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), mcp.connect(clientSide)]);
  const web = await startChatWeb({ mcp, mode: { kind: "demo" }, port }).catch(
    (error: NodeJS.ErrnoException) => {
      throw error.code === "EADDRINUSE"
        ? new Error(`port ${port} is already in use; pick another with --port (0 picks a free one)`)
        : error;
    },
  );
  // The local sandbox's demo PATs, whether this process runs it or found it running.
  const keys = backend.sandbox?.api_keys ?? [];
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ url: web.url, sandbox_url: backend.baseUrl, api_keys: keys })}\n`,
    );
  } else {
    io.stdout.write(
      [
        `Autopilot demo (scripted, no model): ${web.url}`,
        "",
        `It runs on the embedded AgentRuntime sandbox at ${backend.baseUrl}.`,
        "For the curl test at the end you need the key's automation PAT (local sandbox only):",
        ...keys.map(
          (key) =>
            `  ${key.name} (${key.in_vault ? "in Vault" : "not in Vault: paste it on the private page"})\n      ${key.pat}`,
        ),
        "",
        "Press Ctrl+C to stop.",
        "",
      ].join("\n"),
    );
  }
  if (!values["no-browser"]) openInBrowser(web.url);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      note(`Received ${signal}, closing the demo.`);
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await web.close();
  await mcp.close();
  await server.close();
  wizards.close();
  await store.close();
  await pages.close();
  await backend.close();
}
