import type { Tool } from "@modelcontextprotocol/sdk/types.js";

/** A function tool as OpenAI-compatible servers take it, in strict mode. */
export interface FunctionTool {
  type: "function";
  function: {
    name: string;
    description: string;
    parameters: Record<string, unknown>;
    strict: true;
  };
}

/** How to turn a model's strict arguments back into the MCP tool's arguments. */
export interface ArgumentPlan {
  /** Dotted paths of free-form objects the model sends as JSON text. */
  jsonFields: string[];
}

export interface StrictTool {
  tool: FunctionTool;
  plan: ArgumentPlan;
}

// Keywords strict mode does not take; the zod schemas behind the MCP tools still check them.
const UNSUPPORTED = new Set([
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "uniqueItems",
  "propertyNames",
  "minProperties",
  "maxProperties",
  "default",
  "$schema",
]);

const OPENAI_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

type Schema = Record<string, unknown>;

function nullable(schema: Schema): Schema {
  const type = schema.type;
  if (typeof type === "string") return { ...schema, type: [type, "null"] };
  if (Array.isArray(type))
    return type.includes("null") ? schema : { ...schema, type: [...type, "null"] };
  return { anyOf: [schema, { type: "null" }] };
}

function convert(schema: Schema, path: string, plan: ArgumentPlan): Schema {
  const cleaned: Schema = Object.fromEntries(
    Object.entries(schema).filter(([key]) => !UNSUPPORTED.has(key)),
  );
  if (
    cleaned.type === "object" ||
    (Array.isArray(cleaned.type) && cleaned.type.includes("object"))
  ) {
    const properties = cleaned.properties as Record<string, Schema> | undefined;
    if (!properties) {
      // A free-form object (a record) cannot be strict: the model writes it as JSON text.
      plan.jsonFields.push(path);
      return {
        type: "string",
        description: `${typeof schema.description === "string" ? `${schema.description}. ` : ""}A JSON object, as text`,
      };
    }
    const required = new Set((cleaned.required as string[] | undefined) ?? []);
    const converted = Object.fromEntries(
      Object.entries(properties).map(([key, value]) => {
        const inner = convert(value, path ? `${path}.${key}` : key, plan);
        return [key, required.has(key) ? inner : nullable(inner)];
      }),
    );
    return {
      ...cleaned,
      properties: converted,
      required: Object.keys(converted),
      additionalProperties: false,
    };
  }
  if (cleaned.type === "array" && cleaned.items && typeof cleaned.items === "object") {
    return { ...cleaned, items: convert(cleaned.items as Schema, `${path}[]`, plan) };
  }
  for (const combinator of ["anyOf", "oneOf"] as const) {
    if (Array.isArray(cleaned[combinator])) {
      const options = (cleaned[combinator] as Schema[]).map((option) =>
        convert(option, path, plan),
      );
      const { [combinator]: _drop, ...rest } = cleaned;
      return { ...rest, anyOf: options };
    }
  }
  return cleaned;
}

/**
 * An MCP tool as a strict OpenAI function: closed objects, every property required, optional
 * ones nullable, unsupported keywords removed, free-form objects as JSON text.
 */
export function toStrictTool(tool: Tool): StrictTool {
  if (!OPENAI_NAME.test(tool.name))
    throw new Error(`tool name ${tool.name} breaks OpenAI's name rules`);
  const plan: ArgumentPlan = { jsonFields: [] };
  const parameters = convert(tool.inputSchema as Schema, "", plan);
  return {
    tool: {
      type: "function",
      function: {
        name: tool.name,
        description: tool.description ?? tool.title ?? tool.name,
        parameters,
        strict: true,
      },
    },
    plan,
  };
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== null)
      .map(([key, item]) => [key, withoutNulls(item)]),
  );
}

/** A strict model's arguments as the MCP tool takes them: nulls removed, JSON text parsed. */
export function toMcpArguments(
  raw: string,
  plan: ArgumentPlan,
): { args: Record<string, unknown> } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw || "{}");
  } catch {
    return {
      error:
        "The arguments were not valid JSON; send a JSON object that matches the tool's parameters.",
    };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { error: "The arguments must be a JSON object." };
  }
  // Nulls go first: a strict model writes null for "not given"; JSON text keeps its own nulls.
  const args = withoutNulls(parsed) as Record<string, unknown>;
  for (const path of plan.jsonFields) {
    const keys = path.split(".");
    let node: Record<string, unknown> | undefined = args;
    for (const key of keys.slice(0, -1)) {
      const next: unknown = node?.[key];
      node =
        next !== null && typeof next === "object" ? (next as Record<string, unknown>) : undefined;
    }
    const last = keys.at(-1) as string;
    const text = node?.[last];
    if (node && typeof text === "string") {
      try {
        node[last] = JSON.parse(text);
      } catch {
        return {
          error: `${path} must be a JSON object written as text, like {"source": "shopify"}.`,
        };
      }
    }
  }
  return { args };
}
