import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { longFunctions } from "./function-sizes.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Bodies that are tables, not logic: an object of small methods, or a page of text. */
const TABLES = new Set([
  "createClient", // the typed client: one small method per endpoint
  "openPostgresSetupStore", // the setup store: one small method per query
  "openSqliteSetupStore", // the same store on SQLite
  "buildSenderGuide", // the guide's Markdown, one template
]);

describe("the size of functions in src/ and tools/", () => {
  it("keeps every function that is not a table within about 80 lines", () => {
    const long = longFunctions(ROOT, ["src", "tools"], 90).filter(
      (found) => !TABLES.has(found.name),
    );
    expect(long).toEqual([]);
  });

  it("finds a long arrow function and a long method by name, and leaves short ones", async () => {
    const root = await mkdtemp(join(tmpdir(), "function-sizes-"));
    try {
      await mkdir(join(root, "src"));
      const body = "  one();\n".repeat(5);
      await writeFile(
        join(root, "src/a.ts"),
        `const long = () => {\n${body}};\nclass K {\n  short() {\n    one();\n  }\n  method() {\n${body}  }\n}\n`,
      );
      expect(longFunctions(root, ["src"], 6)).toEqual([
        { at: "src/a.ts:1", name: "long", lines: 7 },
        { at: "src/a.ts:12", name: "method", lines: 7 },
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
