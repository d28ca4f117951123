import { describe, expect, it } from "vitest";
import { describeTool } from "../../src/mcp/server.js";
import { TOOLS, TOOLSETS, toolsIn } from "../../tools/index.js";

const VERBS = [
  "list",
  "get",
  "create",
  "update",
  "delete",
  "start",
  "answer",
  "send",
  "wait",
  "diagnose",
  "rotate",
  "describe",
];

/** Every property name anywhere in a JSON schema. */
function propertyNames(schema: unknown): string[] {
  if (schema === null || typeof schema !== "object") return [];
  const node = schema as Record<string, unknown>;
  const own =
    node.properties && typeof node.properties === "object" ? Object.keys(node.properties) : [];
  return [...own, ...Object.values(node).flatMap(propertyNames)];
}

describe("the tool catalogue", () => {
  it("has unique, verb-first snake_case names", () => {
    const names = TOOLS.map((tool) => tool.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(name).toMatch(/^[a-z]+(_[a-z]+)+$/);
      expect(VERBS).toContain(name.split("_")[0]);
    }
  });

  it.each(TOOLS.map((tool) => [tool.name, tool] as const))(
    "%s is fully described",
    async (name, tool) => {
      expect(tool.title.length).toBeGreaterThan(3);
      expect(tool.description.length).toBeGreaterThan(60);
      expect(tool.description.length).toBeLessThan(420);
      const annotations = tool.annotations as unknown as Record<string, unknown>;
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"]) {
        expect(typeof annotations[hint], `${name}.${hint}`).toBe("boolean");
      }
      if (tool.annotations.readOnlyHint) expect(tool.annotations.destructiveHint).toBe(false);

      const listed = describeTool(tool);
      const input = listed.inputSchema as Record<string, unknown>;
      expect(input.type).toBe("object");
      expect(input.additionalProperties).toBe(false);
      for (const combinator of ["anyOf", "oneOf", "allOf", "not"])
        expect(input).not.toHaveProperty(combinator);
      for (const property of propertyNames(input)) expect(property).toMatch(/^[a-z_]+$/);
      expect((listed.outputSchema as { type: string }).type).toBe("object");

      await expect(`${JSON.stringify(listed, null, 2)}\n`).toMatchFileSnapshot(
        `./__toolsnaps__/${name}.json`,
      );
    },
  );

  it("puts every tool in exactly one toolset", () => {
    const grouped = Object.values(TOOLSETS).flat();
    expect([...grouped].sort()).toEqual(TOOLS.map((tool) => tool.name).sort());
    expect(new Set(grouped).size).toBe(grouped.length);
    expect(toolsIn(["wizard"]).map((tool) => tool.name)).toEqual([...TOOLSETS.wizard]);
  });

  it("keeps the read tools read-only and marks the destructive ones", () => {
    const byName = new Map(TOOLS.map((tool) => [tool.name, tool.annotations]));
    for (const name of ["list_workflows", "list_api_keys", "list_inbound_webhooks"]) {
      expect(byName.get(name)).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    }
    expect(byName.get("delete_inbound_webhook")).toMatchObject({
      destructiveHint: true,
      idempotentHint: true,
    });
    expect(byName.get("create_inbound_webhook")).toMatchObject({
      readOnlyHint: false,
      idempotentHint: false,
    });
  });
});
