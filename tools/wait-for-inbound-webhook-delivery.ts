import { z } from "zod";
import { waitForNextDelivery } from "../src/client/deliveries.js";
import { DeliveryReport, deliveryReport } from "../src/handoff/delivery-fixes.js";
import { defineTool } from "../src/mcp/tool.js";

export const waitForInboundWebhookDelivery = defineTool({
  name: "wait_for_inbound_webhook_delivery",
  toolset: "operations",
  title: "Wait for inbound webhook delivery",
  description:
    "Waits up to timeout_seconds (default 60) for the webhook's next request (e.g. the curl test) and returns it with its run or fix.",
  input: {
    id: z.string(),
    after_delivery_id: z.string().optional(),
    timeout_seconds: z.number().int().min(1).max(120).optional(),
  },
  output: DeliveryReport.shape,
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async run(args, context) {
    const timeoutMs = (args.timeout_seconds ?? 60) * 1000;
    const next = await waitForNextDelivery(context.client, args.id, {
      afterId: args.after_delivery_id,
      timeoutMs,
      signal: context.signal,
      onWait: (waited) =>
        context.progress(
          Math.round(waited / 1000),
          Math.round(timeoutMs / 1000),
          "Waiting for the next request to the ingress URL",
        ),
    });
    const report = deliveryReport(next?.delivery ?? null, next?.run ?? null, "model");
    return {
      structured: report,
      ...(report.timed_out
        ? {
            text: `No request arrived within ${Math.round(timeoutMs / 1000)} s. Ask the person whether the sender ran, then wait again.`,
          }
        : {}),
    };
  },
});
