import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { AgentRuntimeClient } from "../client/client.js";
import { OneTimePages } from "../pages/one-time-pages.js";
import type { SetupStore } from "../setup-store/setup-store.js";
import { createMcpServer } from "./server.js";
import type { SecretDelivery, ToolDefinition } from "./tool.js";
import type { McpWizards } from "./wizards.js";

/** What an MCP runtime is built from; the caller owns the client and closes it. */
export interface McpRuntimeDeps {
  client: AgentRuntimeClient;
  tools: readonly ToolDefinition[];
  /** Where guided setups are kept between restarts; `:memory:` keeps none. */
  wizardDb: string;
  /** Port of the one-time pages on 127.0.0.1; 0 (default) takes any free one. */
  pagePort?: number;
  /** HTTP only: the origin people reach this server at; pages are then served at `<publicUrl>/once/<id>`. */
  publicUrl?: string;
  secretDelivery?: SecretDelivery;
  readOnly?: boolean;
  /** On the local sandbox only: where the person reads the key's PAT for the curl test. */
  patHelp?: string;
  version: string;
  /** Where bugs are reported; never stdout, which stdio MCP owns. */
  log?: (line: string) => void;
}

/** The guided setup and the store it is kept in, loaded together. */
export interface LoadedWizards {
  wizards: McpWizards;
  store: SetupStore;
}

/** One-time pages, the guided setup and a way to build servers over them, closed as one. */
export interface McpRuntime {
  pages: OneTimePages;
  /** Loads the guided setup on first call; later calls share it. */
  wizards(): Promise<LoadedWizards>;
  /** A new MCP server over the shared pages and wizards: one per connection or session. */
  createServer(): Server;
  /** Closes the wizards, their store and the pages; servers are closed by their transports. */
  close(): Promise<void>;
}

/**
 * Wires an MCP runtime: the pages, the wizard store and wizards, and the server factory.
 * The wizard (XState and its store) is imported on first use, so listing tools stays quick.
 */
export function createMcpRuntime(deps: McpRuntimeDeps): McpRuntime {
  const pages = new OneTimePages({ port: deps.pagePort ?? 0, publicUrl: deps.publicUrl });
  let loaded: Promise<LoadedWizards> | undefined;
  const wizards = (): Promise<LoadedWizards> => {
    loaded ??= (async () => {
      const [{ McpWizards }, { openLocalSetupStore }] = await Promise.all([
        import("./wizards.js"),
        import("../setup-store/sqlite.js"),
      ]);
      const { store, setups } = await openLocalSetupStore(deps.wizardDb);
      return {
        store,
        wizards: new McpWizards({ client: deps.client, pages, setups, patHelp: deps.patHelp }),
      };
    })();
    return loaded;
  };
  return {
    pages,
    wizards,
    createServer: () =>
      createMcpServer({
        client: deps.client,
        tools: deps.tools,
        pages,
        wizards: async () => (await wizards()).wizards,
        secretDelivery: deps.secretDelivery,
        readOnly: deps.readOnly,
        version: deps.version,
        log: deps.log,
      }),
    async close() {
      // A guided setup that failed to load has nothing open to close.
      const ready = await loaded?.catch(() => undefined);
      ready?.wizards.close();
      await ready?.wizards.service.flush().catch(() => {});
      await ready?.store.close();
      await pages.close();
    },
  };
}
