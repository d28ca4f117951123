import { z } from "zod";
import { defineTool } from "../src/mcp/tool.js";
import { ApiKeyView, apiKeyView, nextCursor, pageArguments } from "../src/mcp/views.js";

export const listApiKeys = defineTool({
  name: "list_api_keys",
  toolset: "webhooks",
  title: "List API keys",
  description:
    "Lists API keys (PATs), hints only. For a new webhook prefer in_vault: true; others must be pasted.",
  input: pageArguments,
  output: { api_keys: z.array(ApiKeyView), next_cursor: nextCursor },
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { client }) {
    const page = await client.apiKeys.list(args);
    return {
      structured: { api_keys: page.api_keys.map(apiKeyView), next_cursor: page.next_cursor },
    };
  },
});
