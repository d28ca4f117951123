import { z } from "zod";
import { defineTool } from "../src/mcp/tool.js";
import { markUntrusted } from "../src/untrusted/mark.js";

export const deleteInboundWebhook = defineTool({
  name: "delete_inbound_webhook",
  toolset: "webhooks",
  title: "Delete inbound webhook",
  description:
    "Deletes an inbound webhook for good; its URL answers 404 after. Confirm with the person first.",
  input: { id: z.string() },
  output: { deleted_id: z.string(), name: z.string() },
  annotations: {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { client }) {
    const subscription = await client.inboundWebhooks.get(args.id);
    await client.inboundWebhooks.delete(args.id);
    return { structured: { deleted_id: subscription.id, name: markUntrusted(subscription.name) } };
  },
});
