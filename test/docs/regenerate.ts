/**
 * Rewrites the generated blocks of the docs: `tools` (the tool reference in docs/mcp.md, from
 * the tool definitions) or `figures` (docs/benchmarks.md and the capacity block of
 * docs/hosted.md, from docs/figures/*.json).
 *
 *   npm run docs:tools
 *   npm run docs:figures
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/package-root.js";
import { TOOLS } from "../../tools/index.js";
import { refreshBenchmarksPage } from "./figures.js";
import { formatFiles, replaceBlock } from "./generated-blocks.js";
import { renderToolReference, TOOL_REFERENCE_BLOCK } from "./tool-reference.js";

const what = process.argv[2];
if (what === "tools") {
  const path = join(packageRoot(), "docs", "mcp.md");
  const page = readFileSync(path, "utf8");
  writeFileSync(path, replaceBlock(page, TOOL_REFERENCE_BLOCK, renderToolReference(TOOLS)));
  formatFiles(packageRoot(), [path]);
  process.stdout.write(`rewrote the tool reference in ${path}\n`);
} else if (what === "figures") {
  refreshBenchmarksPage();
  process.stdout.write("rewrote the figures blocks of docs/benchmarks.md and docs/hosted.md\n");
} else {
  process.stderr.write("usage: regenerate.ts tools|figures\n");
  process.exitCode = 2;
}
