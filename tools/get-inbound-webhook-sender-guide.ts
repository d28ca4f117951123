import { z } from "zod";
import { buildSenderGuide } from "../src/handoff/sender-guide.js";
import { defineTool } from "../src/mcp/tool.js";

export const getInboundWebhookSenderGuide = defineTool({
  name: "get_inbound_webhook_sender_guide",
  toolset: "operations",
  title: "Get sender hand-off guide",
  description:
    "A Markdown guide for the team that sends the webhooks: URL, headers, signing in curl, Node and Python, a sample body, rotation policy. No secrets in it; give it to the person as is.",
  input: { id: z.string().describe("The webhook id") },
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
    return { structured: { markdown: buildSenderGuide(subscription, workflow) } };
  },
});
