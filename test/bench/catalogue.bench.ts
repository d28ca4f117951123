/**
 * On-demand measurement (not part of `npm test`) behind the choice of the SDK's low-level
 * `Server` over `McpServer.registerTool`: the same fifteen tools listed both ways, through a
 * real `Client`, in o200k_base tokens (gpt-tokenizer); and what each answers when a call
 * carries something shaped like a PAT.
 *
 *   npx tsc -p . && node dist/test/bench/catalogue.bench.js [--json]
 *
 * Nothing is timed and nothing leaves the process: no AgentRuntime is called. The figures are
 * also written to docs/figures/catalogue.json (and docs/benchmarks.md).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { encode } from "gpt-tokenizer";
import { z } from "zod";
import { createClient } from "../../src/client/client.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { OneTimePages } from "../../src/pages/one-time-pages.js";
import { TOOLS, TOOLSETS } from "../../tools/index.js";
import { thisMachine, writeFigures } from "../docs/figures.js";
import { round3, runMain, table } from "./common.js";

/** A made-up token of the PAT shape: never a real one. */
const PLANTED_PAT = `pat_${"Zq7".repeat(8)}`;

/** Calls that carry the planted PAT: one the schema accepts, one it refuses. */
const SECRET_CALLS = [
  {
    label: "PAT inside a valid test payload",
    name: "send_inbound_webhook_test",
    arguments: { id: "00000000-0000-4000-8000-000000000000", payload: { note: PLANTED_PAT } },
  },
  {
    label: "PAT as an argument the tool does not take",
    name: "list_api_keys",
    arguments: { token: PLANTED_PAT },
  },
] as const;

interface Listing {
  tools: Tool[];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

async function connect(server: Server): Promise<Listing> {
  const client = new Client({ name: "catalogue-bench", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    tools: (await client.listTools()).tools,
    call: (name, args) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    close: () => client.close(),
  };
}

/** The registry as `McpServer.registerTool` would list it; each handler only records that it ran. */
function registeredServer(ran: string[]): Server {
  const server = new McpServer({ name: "agentruntime-webhooks", version: "0.0.0-bench" });
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: z.strictObject(tool.input),
        outputSchema: z.object(tool.output),
        annotations: tool.annotations,
      },
      async (args) => {
        ran.push(`${tool.name} ${JSON.stringify(args)}`);
        return { isError: true, content: [{ type: "text", text: "handler reached" }] };
      },
    );
  }
  return server.server;
}

function tokens(value: unknown): number {
  return encode(JSON.stringify(value)).length;
}

function tokensOf(tools: Tool[], names?: readonly string[]): number {
  return tokens(names ? tools.filter((tool) => names.includes(tool.name)) : tools);
}

function textOf(result: CallToolResult): string {
  return result.content.map((item) => (item.type === "text" ? item.text : "")).join(" ");
}

async function main(argv: string[]): Promise<number> {
  const pages = new OneTimePages();
  // Listing and refusing never reach AgentRuntime; the address only has to parse.
  const client = createClient({ baseUrl: "http://127.0.0.1:9", token: "bench" });
  const ours = await connect(
    createMcpServer({ client, tools: TOOLS, pages, version: "0.0.0-bench" }),
  );
  const ran: string[] = [];
  const registered = await connect(registeredServer(ran));
  try {
    const counts = [
      ...[
        ["all tools", undefined],
        ...Object.entries(TOOLSETS).map(([name, names]) => [`toolset ${name}`, names] as const),
      ].map(([label, names]) => ({
        label: String(label),
        mine: tokensOf(ours.tools, names as readonly string[] | undefined),
        theirs: tokensOf(registered.tools, names as readonly string[] | undefined),
        ratio: true,
      })),
      {
        label: "input schemas only",
        mine: tokens(ours.tools.map((tool) => tool.inputSchema)),
        theirs: tokens(registered.tools.map((tool) => tool.inputSchema)),
        ratio: false,
      },
      {
        label: "output schemas only",
        mine: tokens(ours.tools.map((tool) => tool.outputSchema)),
        theirs: tokens(registered.tools.map((tool) => tool.outputSchema)),
        ratio: false,
      },
    ];
    const rows = [
      ["listed", "ours", "registerTool", "ratio"],
      ...counts.map((count) => [
        count.label,
        String(count.mine),
        String(count.theirs),
        count.ratio ? (count.mine / count.theirs).toFixed(2) : "",
      ]),
    ];
    const refusals = [];
    for (const call of SECRET_CALLS) {
      const before = ran.length;
      const mine = await ours.call(call.name, call.arguments);
      const theirs = await registered.call(call.name, call.arguments);
      refusals.push({
        call: call.label,
        ours: textOf(mine).slice(0, 90),
        registerTool:
          ran.length > before ? "handler ran with the PAT" : textOf(theirs).slice(0, 90),
      });
    }
    const written = writeFigures({
      bench: "catalogue",
      title: "The catalogue, listed two ways",
      command: "npm run bench:catalogue",
      machine: thisMachine(),
      options: {},
      figures: counts.map((count) => ({
        figure: count.label,
        value: count.mine,
        unit: "tokens",
        baseline: { value: count.theirs, label: "registerTool" },
        ratio: count.ratio ? round3(count.mine / count.theirs) : null,
      })),
      notes: refusals.map(
        (refusal) =>
          `${refusal.call}: ours answers \`${refusal.ours.split(":")[0]}\`; registerTool: ${refusal.registerTool.split(":").slice(0, 2).join(":")}.`,
      ),
    });
    process.stderr.write(`figures written to ${written}\n`);
    if (argv.includes("--json")) {
      process.stdout.write(`${JSON.stringify({ tokens: rows, refusals }, null, 2)}\n`);
    } else {
      process.stdout.write(
        `Catalogue in o200k_base tokens (JSON of tools/list)\n${table(rows)}\n\n`,
      );
      for (const refusal of refusals) {
        process.stdout.write(
          `${refusal.call}\n  ours:         ${refusal.ours}\n  registerTool: ${refusal.registerTool}\n`,
        );
      }
    }
    return 0;
  } finally {
    await ours.close();
    await registered.close();
    await pages.close();
  }
}

runMain("catalogue.bench", main);
