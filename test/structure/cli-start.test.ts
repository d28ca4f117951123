import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Metafile } from "esbuild";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { cliBuildOptions } from "../../src/cli/bundle.js";
import { describeTool } from "../../src/mcp/server.js";
import { TOOLS } from "../../tools/index.js";
import { CLI } from "../helpers/cli.js";

/** Code a stdio `mcp` start must not load: other commands' engines and first-call-only clients. */
const NOT_AT_MCP_START = [
  /node_modules\/(xstate|openai|pg|prom-client|@clack\/prompts|better-sqlite3|undici)\//,
  /^src\/(sandbox|autopilot|hosted\/serve|web\/(server|serve|page))/,
  /^src\/store\/(sqlite|postgres)-store\.ts$/,
  /^src\/wizard\/(machine|service|host|store)\.ts$/,
  /^src\/mcp\/(http-transport|wizards)\.ts$/,
];

/**
 * Every source file and external package an entry loads before it runs: the outputs it imports
 * statically, transitively; `import()` is left out, as it loads later.
 */
function loadedAtStart(metafile: Metafile, entries: string[]): string[] {
  const seen = new Set<string>();
  const loaded = new Set<string>();
  const visit = (output: string) => {
    if (seen.has(output)) return;
    seen.add(output);
    const meta = metafile.outputs[output];
    if (!meta) return;
    for (const input of Object.keys(meta.inputs)) loaded.add(input);
    for (const imported of meta.imports) {
      if (imported.kind !== "import-statement") continue;
      if (imported.external) loaded.add(`node_modules/${imported.path}/`);
      else visit(imported.path);
    }
  };
  for (const entry of entries) visit(entry);
  return [...loaded].sort();
}

/** The output holding a source file. */
function outputOf(metafile: Metafile, source: string): string {
  const found = Object.entries(metafile.outputs).find(([, meta]) => source in meta.inputs);
  if (!found) throw new Error(`no output holds ${source}`);
  return found[0];
}

const forbidden = (loaded: string[]) =>
  loaded.filter((input) => NOT_AT_MCP_START.some((pattern) => pattern.test(input)));

describe("what `mcp` loads before it answers", () => {
  it("loads the entry and the mcp command, and none of the other commands' code", async () => {
    const { metafile } = await build({ ...cliBuildOptions(), write: false });
    const loaded = loadedAtStart(metafile, [
      outputOf(metafile, "src/cli/main.ts"),
      outputOf(metafile, "src/cli/mcp-command.ts"),
    ]);
    expect(loaded).toContain("src/mcp/server.ts");
    expect(loaded).toContain("tools/answer-inbound-webhook-wizard.ts");
    expect(forbidden(loaded)).toEqual([]);
  });

  it("follows static imports into shared chunks and externals, and not import()", () => {
    const output = (inputs: string[], imports: Metafile["outputs"][string]["imports"]) => ({
      bytes: 0,
      exports: [],
      imports,
      inputs: Object.fromEntries(inputs.map((input) => [input, { bytesInOutput: 0 }])),
    });
    const metafile: Metafile = {
      inputs: {},
      outputs: {
        "main.js": output(["src/cli/main.ts"], [{ path: "chunk.js", kind: "import-statement" }]),
        "chunk.js": output(
          ["node_modules/xstate/dist/xstate.js"],
          [
            { path: "undici", kind: "import-statement", external: true },
            { path: "later.js", kind: "dynamic-import" },
          ],
        ),
        "later.js": output(["node_modules/openai/index.js"], []),
      },
    };
    expect(forbidden(loadedAtStart(metafile, ["main.js"]))).toEqual([
      "node_modules/undici/",
      "node_modules/xstate/dist/xstate.js",
    ]);
  });
});

describe("the bundle's tool listings, worked out when it was built", () => {
  it("are what the zod schemas describe now", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "mcp", "--wizard-db", ":memory:"],
      // Listing tools calls no backend; an address keeps the embedded sandbox off.
      env: {
        PATH: process.env.PATH ?? "",
        AGENTRUNTIME_API_URL: "http://127.0.0.1:9",
        AGENTRUNTIME_TOKEN: "usr_listings",
      },
      stderr: "ignore",
    });
    const client = new Client({ name: "listings", version: "1" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools).toEqual(TOOLS.map(describeTool));
    } finally {
      await client.close();
    }
  });

  it("replace the global the bundled code reads", async () => {
    const { outputFiles } = await build({ ...cliBuildOptions(), write: false });
    const texts = outputFiles.filter((file) => file.path.endsWith(".js")).map((file) => file.text);
    expect(texts.filter((text) => text.includes("BUNDLED_TOOL_LISTINGS"))).toEqual([]);
    expect(texts.filter((text) => text.includes('"list_inbound_webhooks":{"name"'))).toHaveLength(
      1,
    );
  });
});
