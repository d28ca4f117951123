import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type {
  CallToolRequest,
  ServerNotification,
  ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import type { SecretDelivery, ToolContext } from "./tool.js";

/** The part of the server's deps every call shares. */
export interface SharedToolDeps extends Pick<ToolContext, "client" | "pages"> {
  wizards?: ToolContext["wizards"];
  secretDelivery?: SecretDelivery | undefined;
}

/** What one call's `run` may use: the server's deps, plus progress and URL elicitation. */
export function toolContext(
  server: Server,
  deps: SharedToolDeps,
  request: CallToolRequest,
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
): ToolContext {
  return {
    client: deps.client,
    pages: deps.pages,
    wizards: deps.wizards,
    secretDelivery: deps.secretDelivery ?? "page",
    signal: extra.signal,
    progress: async (done, total, message) => {
      const progressToken = request.params._meta?.progressToken;
      if (progressToken === undefined) return;
      await extra
        .sendNotification({
          method: "notifications/progress",
          params: { progressToken, progress: done, total, message },
        })
        .catch(() => {});
    },
    openUrl: async ({ url, message, elicitationId }) => {
      if (!server.getClientCapabilities()?.elicitation?.url) return false;
      try {
        const result = await server.elicitInput({ mode: "url", url, message, elicitationId });
        return result.action === "accept";
      } catch {
        return false;
      }
    },
    completeElicitation: (elicitationId) => {
      if (!server.getClientCapabilities()?.elicitation?.url) return;
      server
        .createElicitationCompletionNotifier(elicitationId)()
        .catch(() => {});
    },
  };
}
