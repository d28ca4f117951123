import { z } from "zod";
import { buildSenderGuide } from "../src/handoff/sender-guide.js";
import { defineTool } from "../src/mcp/tool.js";

export const getInboundWebhookSenderGuide = defineTool({
  name: "get_inbound_webhook_sender_guide",
  toolset: "operations",
  title: "Get sender hand-off guide",
  description:
    "Markdown guide for the sending team: URL, headers, signing in curl, Node, Python. No secrets; pass it on with the <untrusted> marks dropped.",
  input: { id: z.string() },
  output: { markdown: z.string() },
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { client }) {
    const subscription = await client.inboundWebhooks.get(args.id);
    const workflow = await client.workflows.get(subscription.workflow_id);
    return { structured: { markdown: buildSenderGuide(subscription, workflow, "model") } };
  },
});
