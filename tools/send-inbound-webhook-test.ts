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
  title: "Send inbound webhook test",
  description:
    "Sends a signed test request through real ingress; returns the delivery and its run. Needs a key in Vault.",
  input: {
    id: z.string(),
    payload: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional(),
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
