import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type ImportGraph, importCycles, importGraph, roomGraph } from "./import-graph.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("the import graph of src/ and tools/", () => {
  const graph = importGraph(ROOT, ["src", "tools"]);
  const cycles = importCycles(graph);

  it("has no import cycle", () => {
    expect(cycles).toEqual([]);
  });

  it("has no cycle between rooms (the top-level folders of src/, and tools/)", () => {
    expect(importCycles(roomGraph(graph))).toEqual([]);
  });

  it("keeps the CLI on top: nothing outside src/cli/ imports from it", () => {
    const intoCli = [...graph].flatMap(([file, targets]) =>
      file.startsWith("src/cli/")
        ? []
        : targets.filter((target) => target.startsWith("src/cli/")).map((t) => `${file} → ${t}`),
    );
    expect(intoCli).toEqual([]);
  });

  it("keeps src/ off single tool files: only the registry is imported", () => {
    const intoTools = [...graph].flatMap(([file, targets]) =>
      file.startsWith("src/")
        ? targets
            .filter((target) => target.startsWith("tools/") && target !== "tools/index.ts")
            .map((target) => `${file} → ${target}`)
        : [],
    );
    expect(intoTools).toEqual([]);
  });
});

describe("the cycle finder", () => {
  const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

  it("names a two-file cycle and a longer one, each once", () => {
    expect(
      importCycles(
        graph({
          "a.ts": ["b.ts"],
          "b.ts": ["a.ts", "c.ts"],
          "c.ts": ["d.ts"],
          "d.ts": ["e.ts"],
          "e.ts": ["c.ts"],
        }),
      ),
    ).toEqual(["a.ts → b.ts → a.ts", "c.ts → d.ts → e.ts → c.ts"]);
  });

  it("folds files into rooms and finds a loop between two rooms", () => {
    const rooms = roomGraph(
      graph({
        "src/mcp/a.ts": ["src/web/b.ts", "src/mcp/c.ts"],
        "src/mcp/c.ts": [],
        "src/web/b.ts": ["src/card/d.ts"],
        "src/card/d.ts": ["src/web/e.ts"],
        "src/web/e.ts": [],
        "tools/t.ts": ["src/mcp/a.ts", "src/top.ts"],
        "src/top.ts": [],
      }),
    );
    expect(rooms.get("tools")).toEqual(["src/mcp", "src/top.ts"]);
    expect(importCycles(rooms)).toEqual(["src/card → src/web → src/card"]);
  });

  it("names a file that imports itself and finds none in a tree", () => {
    expect(importCycles(graph({ "a.ts": ["a.ts"] }))).toEqual(["a.ts → a.ts"]);
    expect(importCycles(graph({ "a.ts": ["b.ts", "c.ts"], "b.ts": ["c.ts"], "c.ts": [] }))).toEqual(
      [],
    );
  });

  it("reads static, type-only, re-export and dynamic imports", async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const root = await mkdtemp(join(tmpdir(), "import-graph-"));
    try {
      await mkdir(join(root, "src"));
      await writeFile(join(root, "src/a.ts"), 'import type { B } from "./b.js";\n');
      await writeFile(join(root, "src/b.ts"), 'export * from "./c.js";\n');
      await writeFile(join(root, "src/c.ts"), 'await import("./a.js"); import "node:fs";\n');
      expect(importCycles(importGraph(root, ["src"]))).toEqual([
        "src/a.ts → src/b.ts → src/c.ts → src/a.ts",
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
