import { z } from "zod";
import { defineTool } from "../src/mcp/tool.js";
import { nextCursor, pageArguments, SubscriptionView, subscriptionView } from "../src/mcp/views.js";

export const listInboundWebhooks = defineTool({
  name: "list_inbound_webhooks",
  toolset: "webhooks",
  title: "List inbound webhooks",
  description:
    "Lists inbound webhooks, newest first, with their ids for the other webhook tools. Secret hints only.",
  input: {
    workflow_id: z.string().optional(),
    ...pageArguments,
  },
  output: { subscriptions: z.array(SubscriptionView), next_cursor: nextCursor },
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { client }) {
    const page = await client.inboundWebhooks.list(args);
    return {
      structured: {
        subscriptions: page.subscriptions.map(subscriptionView),
        next_cursor: page.next_cursor,
      },
    };
  },
});
