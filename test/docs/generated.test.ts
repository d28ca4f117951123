import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/package-root.js";
import { TOOLS } from "../../tools/index.js";
import {
  benchmarksPagePath,
  figuresBlock,
  HOSTED_SCALE_BLOCK,
  hostedPagePath,
  hostedScaleBlock,
  readFigures,
} from "./figures.js";
import { blockContent, blockNames, normalizeMarkdown, replaceBlock } from "./generated-blocks.js";
import { renderToolReference, TOOL_REFERENCE_BLOCK } from "./tool-reference.js";

const mcpPage = () => readFileSync(join(packageRoot(), "docs", "mcp.md"), "utf8");

describe("the tool reference in docs/mcp.md", () => {
  it("is what the tool definitions say (npm run docs:tools rewrites it)", () => {
    const written = normalizeMarkdown(blockContent(mcpPage(), TOOL_REFERENCE_BLOCK));
    expect(written).toBe(normalizeMarkdown(renderToolReference(TOOLS)));
  });

  it("names every tool with its toolset and annotations", () => {
    const written = blockContent(mcpPage(), TOOL_REFERENCE_BLOCK);
    for (const tool of TOOLS) {
      expect(written).toContain(`### \`${tool.name}\``);
      expect(written).toContain(`toolset \`${tool.toolset}\``);
    }
  });

  it("shows a changed description as drift", () => {
    const first = TOOLS[0];
    if (!first) throw new Error("the registry is empty");
    const changed = [{ ...first, description: `${first.description} Changed.` }, ...TOOLS.slice(1)];
    expect(renderToolReference(changed)).not.toBe(renderToolReference(TOOLS));
  });
});

describe("the figures in docs/benchmarks.md", () => {
  const page = readFileSync(benchmarksPagePath(), "utf8");
  const names = blockNames(page).filter((name) => name.startsWith("figures/"));

  it("has a block for each bench whose figures are data", () => {
    expect(names).toEqual(
      expect.arrayContaining([
        "figures/mcp",
        "figures/catalogue",
        "figures/wizard",
        "figures/lists",
        "figures/ingress",
        "figures/hosted",
      ]),
    );
  });

  it.each(names)("%s is what its JSON file holds (npm run docs:figures rewrites it)", (name) => {
    const bench = name.slice("figures/".length);
    expect(readFigures(bench), `docs/figures/${bench}.json`).toBeDefined();
    expect(normalizeMarkdown(blockContent(page, name))).toBe(
      normalizeMarkdown(figuresBlock(bench)),
    );
  });

  it("docs/hosted.md's capacity table is what figures/hosted.json holds", () => {
    const hosted = readFileSync(hostedPagePath(), "utf8");
    expect(normalizeMarkdown(blockContent(hosted, HOSTED_SCALE_BLOCK))).toBe(
      normalizeMarkdown(hostedScaleBlock()),
    );
    expect(hostedScaleBlock()).toContain("| 1000× |");
  });

  it("replaces a block and keeps the text around it", () => {
    const before = "a\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nb\n";
    expect(replaceBlock(before, "x", "new")).toBe(
      "a\n<!-- generated:x -->\n\nnew\n\n<!-- /generated:x -->\nb\n",
    );
    expect(() => blockContent("no block", "x")).toThrow(/no block/);
  });

  it("compares tables as a formatter may pad them, and still sees a changed cell", () => {
    const padded = "| a   | bb |\n| --- | -: |\n| 1   | 2  |";
    expect(normalizeMarkdown(padded)).toBe(normalizeMarkdown("| a | bb |\n|---|--:|\n| 1 | 2 |"));
    expect(normalizeMarkdown(padded)).not.toBe(
      normalizeMarkdown("| a | bb |\n|---|--:|\n| 1 | 3 |"),
    );
  });
});
