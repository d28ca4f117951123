import { z } from "zod";
import { SubscriptionName } from "../src/contract/schemas.js";
import { ExtrasArgument } from "../src/mcp/arguments.js";
import { defineTool } from "../src/mcp/tool.js";
import { SubscriptionView, subscriptionView } from "../src/mcp/views.js";

export const updateInboundWebhook = defineTool({
  name: "update_inbound_webhook",
  toolset: "webhooks",
  title: "Update inbound webhook",
  description:
    "Renames, pauses or resumes an inbound webhook, or merge-patches its extras (null removes a key). URL and secret stay.",
  input: {
    id: z.string(),
    name: SubscriptionName.optional(),
    extras: ExtrasArgument.optional(),
    enabled: z.boolean().optional(),
  },
  output: { subscription: SubscriptionView },
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { client }) {
    const subscription = await client.inboundWebhooks.update(args.id, {
      ...(args.name !== undefined ? { name: args.name } : {}),
      ...(args.extras !== undefined ? { extras: args.extras } : {}),
      ...(args.enabled !== undefined ? { enabled: args.enabled } : {}),
    });
    return { structured: { subscription: subscriptionView(subscription) } };
  },
});
