import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  type CallToolResult,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { createClient } from "../../src/client/client.js";
import { createMcpRuntime, type McpRuntimeDeps } from "../../src/mcp/runtime.js";
import type { ToolDefinition } from "../../src/mcp/tool.js";
import type { McpWizards } from "../../src/mcp/wizards.js";
import type { OneTimePages } from "../../src/pages/one-time-pages.js";
import type { SetupStore } from "../../src/setup-store/setup-store.js";
import { TOOLS } from "../../tools/index.js";
import type { TestSandbox } from "./sandbox.js";

export interface ConnectedMcp {
  client: Client;
  pages: OneTimePages;
  wizards: McpWizards;
  wizardStore: SetupStore;
  logs: string[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** A real SDK Client wired to our server over the in-memory transport, against a sandbox. */
export async function connectMcp(
  sandbox: TestSandbox,
  options: Partial<Pick<McpRuntimeDeps, "secretDelivery" | "readOnly" | "tools">> & {
    token?: string;
    onElicit?: (request: ElicitRequest["params"]) => Promise<ElicitResult>;
    /** A wizard database to share with a later connection (a "restart"). */
    wizardDb?: string;
    baseUrl?: string;
  } = {},
): Promise<ConnectedMcp> {
  const logs: string[] = [];
  const apiClient = createClient({
    baseUrl: options.baseUrl ?? sandbox.url,
    token: options.token ?? sandbox.tokens.contributor,
    retryBaseMs: 1,
  });
  const runtime = createMcpRuntime({
    client: apiClient,
    tools: options.tools ?? TOOLS,
    wizardDb: options.wizardDb ?? ":memory:",
    secretDelivery: options.secretDelivery,
    readOnly: options.readOnly,
    version: "0.0.0-test",
    log: (line) => logs.push(line),
  });
  const { wizards, store: wizardStore } = await runtime.wizards();
  const server = runtime.createServer();
  const client = new Client(
    { name: "test-client", version: "1.0.0" },
    { capabilities: options.onElicit ? { elicitation: { url: {} } } : {} },
  );
  if (options.onElicit) {
    const onElicit = options.onElicit;
    client.setRequestHandler(ElicitRequestSchema, (request) => onElicit(request.params));
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    client,
    pages: runtime.pages,
    wizards,
    wizardStore,
    logs,
    call: (name, args = {}) =>
      client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    async close() {
      await client.close();
      await server.close();
      await runtime.close();
    },
  };
}

/** The text of a result, for assertions on what a model reads. */
export function textOf(result: CallToolResult): string {
  return result.content.map((item) => (item.type === "text" ? item.text : "")).join("\n");
}

/**
 * A tool's structured result, parsed with the tool's own output schema: a failed call, a
 * missing field or a key the schema does not list fails the test here, with the tool's text.
 */
export function structuredOf<Output extends z.ZodRawShape>(
  tool: Pick<ToolDefinition<z.ZodRawShape, Output>, "name" | "output">,
  result: CallToolResult,
): z.infer<z.ZodObject<Output>> {
  if (result.isError) throw new Error(`${tool.name} failed: ${textOf(result)}`);
  const parsed = z.strictObject(tool.output).safeParse(result.structuredContent);
  if (!parsed.success) {
    throw new Error(`${tool.name} answered off its output schema: ${parsed.error.message}`);
  }
  return parsed.data;
}
