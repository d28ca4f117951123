import { z } from "zod";
import { ScalarRecord } from "../src/contract/schemas.js";
import { DeliveryReport, deliveryReport } from "../src/handoff/delivery-fixes.js";
import { defineTool } from "../src/mcp/tool.js";

export const sendInboundWebhookTest = defineTool({
  name: "send_inbound_webhook_test",
  toolset: "operations",
  title: "Send inbound webhook test",
  description:
    "Sends a signed test request through real ingress; returns the delivery and its run. Needs a key in Vault.",
  input: {
    id: z.string(),
    payload: ScalarRecord.optional(),
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
    const { accepted, status, reason, fix, run } = deliveryReport(
      answer.delivery,
      answer.run,
      "model",
    );
    return { structured: { accepted: accepted === true, status: status ?? 0, reason, fix, run } };
  },
});
