import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  type CallToolResult,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { createClient } from "../../src/client/client.js";
import { OneTimePages } from "../../src/mcp/one-time-pages.js";
import { createMcpServer, type McpServerDeps } from "../../src/mcp/server.js";
import { McpWizards } from "../../src/mcp/wizards.js";
import { WizardStore } from "../../src/wizard/store.js";
import { TOOLS } from "../../tools/index.js";
import type { TestSandbox } from "./sandbox.js";

export interface ConnectedMcp {
  client: Client;
  pages: OneTimePages;
  wizards: McpWizards;
  wizardStore: WizardStore;
  logs: string[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** A real SDK Client wired to our server over the in-memory transport, against a sandbox. */
export async function connectMcp(
  sandbox: TestSandbox,
  options: Partial<Pick<McpServerDeps, "secretDelivery" | "readOnly" | "tools">> & {
    token?: string;
    onElicit?: (request: ElicitRequest["params"]) => Promise<ElicitResult>;
    /** A wizard database to share with a later connection (a "restart"). */
    wizardDb?: string;
    baseUrl?: string;
  } = {},
): Promise<ConnectedMcp> {
  const pages = new OneTimePages();
  const logs: string[] = [];
  const apiClient = createClient({
    baseUrl: options.baseUrl ?? sandbox.url,
    token: options.token ?? sandbox.tokens.contributor,
    retryBaseMs: 1,
  });
  const wizardStore = new WizardStore({ path: options.wizardDb ?? ":memory:" });
  const wizards = new McpWizards({ client: apiClient, pages, store: wizardStore });
  const server = createMcpServer({
    client: apiClient,
    tools: options.tools ?? TOOLS,
    pages,
    wizards: async () => wizards,
    secretDelivery: options.secretDelivery,
    readOnly: options.readOnly,
    version: "0.0.0-test",
    log: (line) => logs.push(line),
  });
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
    pages,
    wizards,
    wizardStore,
    logs,
    call: (name, args = {}) =>
      client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    async close() {
      await client.close();
      await server.close();
      wizards.close();
      wizardStore.close();
      await pages.close();
    },
  };
}

/** The text of a result, for assertions on what a model reads. */
export function textOf(result: CallToolResult): string {
  return result.content.map((item) => (item.type === "text" ? item.text : "")).join("\n");
}
