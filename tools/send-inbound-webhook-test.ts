import { z } from "zod";
import { defineTool } from "../src/mcp/tool.js";
import { deliveryReport } from "../src/text/delivery-fixes.js";

export const RunSummary = z.object({
  id: z.string(),
  status: z.string(),
  input: z.record(z.string(), z.unknown()),
  steps: z.array(z.string()),
  error: z.string().nullable(),
});

export const sendInboundWebhookTest = defineTool({
  name: "send_inbound_webhook_test",
  toolset: "operations",
  title: "Send inbound webhook test",
  description:
    "AgentRuntime signs a test request with the webhook's secret and sends it through the real ingress; returns the delivery and the run it started. Needs a key in Vault. payload defaults to a sample of the fields the workflow reads.",
  input: {
    id: z.string().describe("The webhook id"),
    payload: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional()
      .describe("Body to send"),
  },
  output: {
    accepted: z.boolean(),
    status: z.number(),
    reason: z.string().nullable(),
    fix: z.string().nullable(),
    run: RunSummary.nullable(),
  },
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  async run(args, { client }) {
    const answer = await client.inboundWebhooks.sendTest(
      args.id,
      args.payload ? { payload: args.payload } : {},
    );
    const { accepted, status, reason, fix, run } = deliveryReport(answer.delivery, answer.run);
    return { structured: { accepted: accepted === true, status: status ?? 0, reason, fix, run } };
  },
});
