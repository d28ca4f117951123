import { z } from "zod";
import { ScalarRecord } from "../src/contract/schemas.js";
import { defineTool } from "../src/mcp/tool.js";
import { DeliveryReport, deliveryReport } from "../src/text/delivery-fixes.js";

export const sendInboundWebhookTest = defineTool({
  name: "send_inbound_webhook_test",
  toolset: "operations",
  title: "Send inbound webhook test",
  description:
    "AgentRuntime signs a test request with the webhook's secret and sends it through the real ingress; returns the delivery and the run it started. Needs a key in Vault. payload defaults to a sample of the fields the workflow reads.",
  input: {
    id: z.string().describe("The webhook id"),
    payload: ScalarRecord.optional().describe("Body to send"),
  },
  output: {
    accepted: z.boolean(),
    status: z.number(),
    reason: DeliveryReport.shape.reason,
    fix: DeliveryReport.shape.fix,
    run: DeliveryReport.shape.run,
  },
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
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
