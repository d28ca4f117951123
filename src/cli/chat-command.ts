import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { TOOLS } from "../../tools/index.js";
import { Autopilot, DEFAULT_MAX_TOOL_ROUNDS, systemPrompt } from "../autopilot/autopilot.js";
import { openAiProvider } from "../autopilot/provider.js";
import { CARD_MIME_TYPE, UI_EXTENSION } from "../card/resource.js";
import { createMcpRuntime } from "../mcp/runtime.js";
import { MARKS, plainForPerson } from "../untrusted/mark.js";
import { StepView } from "../wizard/steps.js";
import {
  BACKEND_FLAGS,
  backendFlags,
  defaultDataDir,
  integerFlag,
  parseCommandArgs,
} from "./args.js";
import { openBackend } from "./backend.js";
import { commandLine } from "./command-name.js";
import { missingKeyWarning } from "./model-key-warning.js";
import { packageVersion } from "./version.js";

export const CHAT_HELP = `Usage: agentruntime-webhooks chat [options]

Chat with Autopilot, which sets up inbound webhooks through the guided setup. Works with
OpenAI or any OpenAI-compatible server (Ollama, vLLM, LM Studio).

Model:
  --model <name>             model name (default $OPENAI_MODEL)
  --base-url <url>           an OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1 for
                             Ollama (default $OPENAI_BASE_URL, else OpenAI)
                             The API key is read from $OPENAI_API_KEY only.
  --max-tool-rounds <n>      tool rounds the model may take per message (default ${DEFAULT_MAX_TOOL_ROUNDS})

Browser:
  --web                      chat in a local browser page that draws the Inbound webhook card
  --port <n>                 port of that page on 127.0.0.1 (default 0: any free port)

Context and connection:
  --workflow <id>            the workflow open in Workflow Studio, if any
  --no-browser               never offer to open one-time pages in a browser
  --api-url <url>, --token <t>  AgentRuntime to use (default $AGENTRUNTIME_API_URL and
                             $AGENTRUNTIME_TOKEN; without them, the embedded sandbox)
  --sandbox-db <path>, --wizard-db <path>
  -h, --help                 show this help

Type /exit (or press Ctrl+D) to leave.
`;

const NO_MODEL =
  "No model is configured, so Autopilot cannot chat.\n" +
  "  With OpenAI:        export OPENAI_API_KEY=sk-… OPENAI_MODEL=gpt-4o-mini\n" +
  "  With a local model: export OPENAI_BASE_URL=http://127.0.0.1:11434/v1 OPENAI_MODEL=qwen2.5:7b";

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv };

/** Opens a URL in the person's browser, quietly doing nothing where there is none. */
export function openInBrowser(url: string): void {
  const opener =
    process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  const child = spawn(opener, [url], { stdio: "ignore", detached: true });
  child.on("error", () => {});
  child.unref();
}

/**
 * `agentruntime-webhooks chat`: Autopilot in the terminal. The loop is an in-process MCP
 * client of our own server; secrets reach the person through one-time pages it links to.
 */
export async function runChatCommand(argv: string[], io: Io): Promise<number | undefined> {
  const command = "chat";
  const { values } = parseCommandArgs(command, argv, {
    model: { type: "string" },
    "base-url": { type: "string" },
    "max-tool-rounds": { type: "string" },
    workflow: { type: "string" },
    "no-browser": { type: "boolean" },
    web: { type: "boolean" },
    port: { type: "string" },
    ...BACKEND_FLAGS,
    "wizard-db": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(CHAT_HELP);
    return 0;
  }
  const interactive = Boolean(
    (process.stdin as { isTTY?: boolean }).isTTY && (io.stdout as { isTTY?: boolean }).isTTY,
  );
  const model = values.model ?? io.env.OPENAI_MODEL;
  const baseUrl = values["base-url"] ?? io.env.OPENAI_BASE_URL;
  const maxToolRounds =
    integerFlag(command, "max-tool-rounds", values["max-tool-rounds"], { min: 1, max: 50 }) ??
    DEFAULT_MAX_TOOL_ROUNDS;

  const port = integerFlag(command, "port", values.port, { min: 0, max: 65535 }) ?? 0;
  if (!model && values.web) {
    io.stderr.write(`${NO_MODEL}\n`);
    return chatInBrowser(undefined, port, io, !values["no-browser"]);
  }
  if (!model) return offerGuidedSetup(values, io, interactive);

  const note = (line: string) => io.stderr.write(`${line}\n`);
  const keyWarning = missingKeyWarning(baseUrl, io.env.OPENAI_API_KEY);
  if (keyWarning) note(keyWarning);
  const backend = await openBackend(command, backendFlags(values), io.env, note);
  const runtime = createMcpRuntime({
    client: backend.client,
    tools: TOOLS,
    wizardDb: values["wizard-db"] ?? join(defaultDataDir(io.env), "wizards.db"),
    version: packageVersion(),
    log: note,
  });
  // Opened now, so a wizard database that cannot be opened stops the chat before it starts.
  await runtime.wizards();
  const server = runtime.createServer();
  let rl: Interface | undefined;
  const mcp = autopilotClient(io, {
    ask: () => (interactive && !values["no-browser"] ? rl : undefined),
    web: values.web ?? false,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), mcp.connect(clientSide)]);
  const newConversation = () =>
    new Autopilot({
      provider: openAiProvider({ model, baseUrl, apiKey: io.env.OPENAI_API_KEY }),
      mcp,
      systemPrompt: systemPrompt({ workflowId: values.workflow }),
      maxToolRounds,
    });

  if (values.web) {
    try {
      return await chatInBrowser({ mcp, newConversation, model }, port, io, !values["no-browser"]);
    } finally {
      await mcp.close();
      await server.close();
      await runtime.close();
      await backend.close();
    }
  }

  io.stdout.write(
    `Autopilot (${model}${baseUrl ? ` at ${baseUrl}` : ""}). Ask me to start a workflow from another system. /exit to leave.\n`,
  );
  rl = createInterface({ input: process.stdin, output: io.stdout, terminal: interactive });
  try {
    return await converse(newConversation(), rl, io, interactive);
  } finally {
    rl.close();
    await mcp.close();
    await server.close();
    await runtime.close();
    await backend.close();
  }
}

/**
 * `chat --web`: Autopilot in a local browser page that draws the card, a conversation per
 * page load; without a model, the page says how to connect one and offers the demo.
 */
async function chatInBrowser(
  chat: { mcp: Client; newConversation: () => Autopilot; model: string } | undefined,
  port: number,
  io: Io,
  offerBrowser: boolean,
): Promise<number> {
  const { serveChatWeb } = await import("../web/serve.js");
  return serveChatWeb({
    ...(chat ? { chat } : {}),
    demoCommand: commandLine("demo", io.env),
    port,
    stdout: io.stdout,
    stderr: io.stderr,
    ...(offerBrowser ? { open: openInBrowser } : {}),
  });
}

/** Without a model: says how to configure one and, in a terminal, offers the guided setup. */
async function offerGuidedSetup(
  values: {
    "api-url"?: string | undefined;
    token?: string | undefined;
    "sandbox-db"?: string | undefined;
    "wizard-db"?: string | undefined;
    workflow?: string | undefined;
  },
  io: Io,
  interactive: boolean,
): Promise<number | undefined> {
  io.stderr.write(
    `${NO_MODEL}\nOr use the guided setup without a model: ${commandLine("wizard", io.env)}\n`,
  );
  if (!interactive) return 2;
  const rl = createInterface({ input: process.stdin, output: io.stdout });
  const reply = (await rl.question("Start the guided setup now? [Y/n] ")).trim().toLowerCase();
  rl.close();
  if (reply !== "" && reply !== "y" && reply !== "yes") return 2;
  const { runWizardCommand } = await import("./wizard-command.js");
  return runWizardCommand(
    [
      ...(values["api-url"] ? ["--api-url", values["api-url"]] : []),
      ...(values.token ? ["--token", values.token] : []),
      ...(values["sandbox-db"] ? ["--sandbox-db", values["sandbox-db"]] : []),
      ...(values["wizard-db"] ? ["--wizard-db", values["wizard-db"]] : []),
      ...(values.workflow ? ["--workflow", values.workflow] : []),
    ],
    io,
  );
}

/**
 * The MCP client Autopilot speaks through. The person is sent to one-time pages through URL
 * elicitation: shown here, never to the model; `ask` offers to open them when it gives a prompt.
 */
function autopilotClient(
  io: Io,
  pages: { ask: () => Interface | undefined; web: boolean },
): Client {
  const mcp = new Client(
    { name: "autopilot", version: packageVersion() },
    {
      capabilities: {
        elicitation: { url: {} },
        // The browser Chat draws the card: it is an MCP Apps host.
        ...(pages.web ? { extensions: { [UI_EXTENSION]: { mimeTypes: [CARD_MIME_TYPE] } } } : {}),
      },
    },
  );
  mcp.setRequestHandler(ElicitRequestSchema, async (request) => {
    const params = request.params as { mode?: string; url?: string; message: string };
    // In the browser the card opens the page itself, from the step's paste_url or reveal_url.
    if (pages.web) return { action: "decline" };
    if (params.mode !== "url" || !params.url) return { action: "decline" };
    io.stdout.write(`\n🔒 ${params.message}\n   ${params.url}\n`);
    const rl = pages.ask();
    if (rl) {
      const reply = (await rl.question("   Open it in your browser? [Y/n] ")).trim().toLowerCase();
      if (reply === "" || reply.startsWith("y")) openInBrowser(params.url);
    }
    return { action: "accept" };
  });
  mcp.setNotificationHandler(ElicitationCompleteNotificationSchema, () => {
    io.stdout.write("\n✓ The private page has been used. Tell Autopilot when you are ready.\n");
  });
  return mcp;
}

/** Reads the person's lines until /exit or the end of input; resolves with the exit code. */
async function converse(
  autopilot: Autopilot,
  rl: Interface,
  io: Io,
  interactive: boolean,
): Promise<number> {
  const closed = new Promise<undefined>((resolve) => rl.once("close", () => resolve(undefined)));
  // Piped input is read line by line; a terminal is asked, so prompts and pages can interleave.
  const lines = interactive ? undefined : rl[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | undefined> => {
    if (lines) {
      const next = await lines.next();
      return next.done ? undefined : String(next.value);
    }
    return Promise.race([rl.question("\nyou › "), closed]);
  };
  let exitCode = 0;
  for (;;) {
    const line = await nextLine();
    // Leaving (Ctrl+D, the end of piped input, /exit) is the person's choice, not a failure.
    if (line === undefined) return 0;
    const text = line.trim();
    if (text === "/exit" || text === "/quit") return 0;
    if (text === "") continue;
    if (!interactive) io.stdout.write(`you › ${text}\n`);
    try {
      await answer(autopilot, text, io);
    } catch (error) {
      io.stderr.write(
        `The model could not be reached or refused the request (${error instanceof Error ? error.message : String(error)}). Check OPENAI_BASE_URL, OPENAI_MODEL and OPENAI_API_KEY.\n`,
      );
      exitCode = 1;
      if (!interactive) break;
    }
  }
  return exitCode;
}

/**
 * The model's streamed reply as a person reads it: marks it copied from tool results are
 * dropped. A tail that may still become a mark is held back until the next delta shows.
 */
export function unmarkingStream(): { push(delta: string): string; end(): string } {
  let held = "";
  return {
    push(delta) {
      held += delta;
      const at = held.lastIndexOf("<");
      const tail = at >= 0 ? held.slice(at) : "";
      const partial = MARKS.some((mark) => mark.length > tail.length && mark.startsWith(tail));
      const ready = partial && tail ? held.slice(0, at) : held;
      held = held.slice(ready.length);
      return plainForPerson(ready);
    },
    end() {
      const rest = held;
      held = "";
      return plainForPerson(rest);
    },
  };
}

/** Sends one message and streams the answer, the tools called and notices to the terminal. */
async function answer(autopilot: Autopilot, text: string, io: Io): Promise<void> {
  let speaking = false;
  let reply = unmarkingStream();
  const endLine = () => {
    if (speaking) io.stdout.write(`${reply.end()}\n`);
    speaking = false;
    reply = unmarkingStream();
  };
  try {
    await autopilot.send(text, {
      onText: (delta) => {
        if (!speaking) io.stdout.write("autopilot › ");
        speaking = true;
        io.stdout.write(reply.push(delta));
      },
      onToolCall: (name) => {
        endLine();
        io.stderr.write(`  · ${name}\n`);
      },
      onToolResult: (_name, result) => {
        // The card a chat UI draws when the setup is done: the curl test, ready to copy.
        const step = StepView.safeParse(result.structuredContent);
        const curl = step.success && step.data.step === "done" ? step.data.card.curl_test : "";
        if (curl) {
          endLine();
          io.stdout.write(
            `\nTest it: set AGENTRUNTIME_SIGNING_SECRET and AGENTRUNTIME_PAT, then run:\n\n${curl}\n`,
          );
        }
      },
      onNotice: (notice) => {
        endLine();
        io.stdout.write(`⚠ ${notice}\n`);
      },
    });
  } finally {
    endLine();
  }
}
