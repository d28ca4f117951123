/**
 * The tool reference of docs/mcp.md, written from the tool definitions as hosts list them
 * (`describeTool`, the same listing the schema snapshots in test/mcp/__toolsnaps__ hold).
 */
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { describeTool } from "../../src/mcp/server.js";
import type { ToolDefinition } from "../../src/mcp/tool.js";
import { cell, prose } from "./generated-blocks.js";

/** The name of the generated block in docs/mcp.md. */
export const TOOL_REFERENCE_BLOCK = "tools";

type JsonSchema = Record<string, unknown>;

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short type for a person: `string`, `integer ≤ 200`, `one of a, b`, `object`, … */
function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((v) => `\`${v}\``).join(", ")}`;
  if (Array.isArray(schema.anyOf)) {
    return schema.anyOf.filter(isSchema).map(typeOf).join(" or ");
  }
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : String(schema.type ?? "any");
  if (typeof schema.maximum === "number") return `${type} ≤ ${schema.maximum}`;
  return type;
}

function annotationWords(tool: Tool): string {
  const hints = tool.annotations ?? {};
  const words = [hints.readOnlyHint ? "read-only" : "write"];
  if (hints.destructiveHint) words.push("destructive");
  if (hints.idempotentHint && !hints.readOnlyHint) words.push("idempotent");
  if (hints.openWorldHint) words.push("open world");
  return words.join(", ");
}

function argumentsTable(tool: Tool): string {
  const properties = isSchema(tool.inputSchema.properties) ? tool.inputSchema.properties : {};
  const required = new Set(tool.inputSchema.required ?? []);
  const names = Object.keys(properties);
  if (names.length === 0) return "No arguments.";
  const rows = names.map((name) => {
    const schema = isSchema(properties[name]) ? properties[name] : {};
    const note = typeof schema.description === "string" ? schema.description : "";
    return `| \`${name}\` | ${cell(typeOf(schema))} | ${required.has(name) ? "yes" : "no"} | ${cell(note)} |`;
  });
  return ["| argument | type | required | note |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

function resultFields(tool: Tool): string {
  const properties = isSchema(tool.outputSchema?.properties) ? tool.outputSchema.properties : {};
  const names = Object.keys(properties);
  return names.length === 0 ? "" : `Result fields: ${names.map((n) => `\`${n}\``).join(", ")}.`;
}

function section(definition: ToolDefinition): string {
  const tool = describeTool(definition);
  const card = tool._meta ? " · draws the Inbound webhook card" : "";
  return [
    `### \`${tool.name}\``,
    `**${tool.title ?? tool.name}** · toolset \`${definition.toolset}\` · ${annotationWords(tool)}${card}`,
    prose(tool.description ?? ""),
    argumentsTable(tool),
    resultFields(tool),
  ]
    .filter((part) => part !== "")
    .join("\n\n");
}

/** The whole reference: a summary table of every tool, then one section per tool, in registry order. */
export function renderToolReference(tools: readonly ToolDefinition[]): string {
  const summary = [
    "| tool | toolset | annotations |",
    "| --- | --- | --- |",
    ...tools.map((definition) => {
      const tool = describeTool(definition);
      return `| [\`${tool.name}\`](#${tool.name}) | \`${definition.toolset}\` | ${annotationWords(tool)} |`;
    }),
  ].join("\n");
  return [summary, ...tools.map(section)].join("\n\n");
}
