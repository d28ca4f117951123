/**
 * On-demand measurement (not part of `npm test`) of what the guided setup costs a model:
 * the tool calls of the happy path, and the size of the text each result puts in front of
 * the model (bytes and o200k_base tokens), through a real MCP client against a sandbox.
 *
 *   npx tsc -p . && node dist/test/bench/wizard.bench.js [--json]
 *
 * The figures are also written to docs/figures/wizard.json (and docs/benchmarks.md).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { encode } from "gpt-tokenizer";
import { createClient } from "../../src/client/client.js";
import { createMcpRuntime } from "../../src/mcp/runtime.js";
import { startSandbox } from "../../src/sandbox/server.js";
import { StepView } from "../../src/wizard/steps.js";
import { TOOLS } from "../../tools/index.js";
import { thisMachine, writeFigures } from "../docs/figures.js";

/** What the happy path may cost a model in all, in o200k_base tokens. */
const TARGET_TOKENS = 1500;

interface Row {
  call: string;
  step: string;
  bytes: number;
  tokens: number;
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const dir = mkdtempSync(join(tmpdir(), "arw-wizard-bench-"));
  const sandbox = await startSandbox({ db: join(dir, "sandbox.db"), port: 0 });
  const client = createClient({ baseUrl: sandbox.url, token: sandbox.tokens.contributor });
  const runtime = createMcpRuntime({
    client,
    tools: TOOLS,
    wizardDb: ":memory:",
    version: "bench",
  });
  const server = runtime.createServer();
  const mcp = new Client({ name: "bench", version: "1" });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(b), mcp.connect(a)]);
  const rows: Row[] = [];
  const call = async (name: string, args: Record<string, unknown>): Promise<StepView> => {
    const result = (await mcp.callTool({ name, arguments: args })) as CallToolResult;
    if (result.isError) throw new Error(JSON.stringify(result.content));
    // A model reads the text content (structuredContent mirrors it).
    const text = result.content.map((item) => (item.type === "text" ? item.text : "")).join("\n");
    const view = StepView.parse(result.structuredContent);
    rows.push({
      call: `${name}${args.action ? ` ${args.action}` : ""}`,
      step: view.step,
      bytes: Buffer.byteLength(text),
      tokens: encode(text).length,
    });
    return view;
  };
  try {
    const workflow = sandbox.workflows.find((w) => w.name === "Fulfil Shopify order");
    const key = sandbox.api_keys.find((k) => k.in_vault);
    let view = await call("start_inbound_webhook_wizard", {
      workflow_id: workflow?.id,
      sender: "Shopify",
    });
    const answer = (action: string, extra: Record<string, unknown> = {}) =>
      call("answer_inbound_webhook_wizard", { wizard_id: view.wizard_id, action, ...extra });
    view = await answer("set_name", { value: "shopify-orders" });
    view = await answer("choose_api_key", { value: key?.id });
    view = await answer("skip_extras");
    view = await answer("confirm");
    await fetch(view.reveal_url as string, {
      method: "POST",
      headers: { origin: new URL(view.reveal_url as string).origin },
    }); // the person reveals the secret
    view = await answer("finish");
    const decisions = ["name", "API key", "extras", "confirm", "secret stored, finish"].length;
    const total = rows.reduce((sum, row) => sum + row.tokens, 0);
    const written = writeFigures({
      bench: "wizard",
      title: "Guided setup",
      command: "npm run bench:wizard",
      machine: thisMachine(),
      options: {},
      figures: [
        {
          figure: "tool calls of the happy path",
          value: rows.length,
          unit: "calls",
          target: `≤ ${decisions + 1} (one per decision, plus the start)`,
          met: rows.length <= decisions + 1,
        },
        ...rows.map((row) => ({
          figure: `${row.call} → ${row.step}`,
          value: row.tokens,
          unit: "tokens",
        })),
        {
          figure: "what the model reads in all",
          value: total,
          unit: "tokens",
          target: `≤ ${TARGET_TOKENS.toLocaleString("en-US")}`,
          met: total <= TARGET_TOKENS,
        },
      ],
      notes: [
        "Tokens are o200k_base (gpt-tokenizer) of each result's text content, what a model reads; they move by a few from run to run as the random ids tokenize.",
      ],
    });
    process.stderr.write(`figures written to ${written}\n`);
    if (json) {
      process.stdout.write(`${JSON.stringify({ calls: rows.length, decisions, rows })}\n`);
    } else {
      process.stdout.write(
        "Guided setup, happy path (workflow given by the host), what the model reads per call\n\n",
      );
      process.stdout.write(
        `${"call".padEnd(46)}${"step".padEnd(16)}${"bytes".padStart(7)}${"tokens".padStart(8)}\n`,
      );
      for (const row of rows) {
        process.stdout.write(
          `${row.call.padEnd(46)}${row.step.padEnd(16)}${String(row.bytes).padStart(7)}${String(row.tokens).padStart(8)}\n`,
        );
      }
      process.stdout.write(
        `\n${rows.length} tool calls for ${decisions} decisions of the person plus the start (target: one per decision); ${total} tokens in all\n`,
      );
    }
  } finally {
    await mcp.close();
    await server.close();
    await runtime.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
