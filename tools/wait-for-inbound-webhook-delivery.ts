import { z } from "zod";
import { defineTool } from "../src/mcp/tool.js";
import { fixFor } from "../src/text/delivery-fixes.js";
import { RunSummary, runSummary } from "./send-inbound-webhook-test.js";

const POLL_MS = 500;

export const waitForInboundWebhookDelivery = defineTool({
  name: "wait_for_inbound_webhook_delivery",
  title: "Wait for inbound webhook delivery",
  description:
    "Waits up to timeout_seconds (default 60, max 120) for the next request to the webhook after after_delivery_id (default: now), e.g. while the person runs the curl test. Returns it with its run or rejection fix.",
  input: {
    id: z.string().describe("The webhook id"),
    after_delivery_id: z.string().optional().describe("Only deliveries newer than this one"),
    timeout_seconds: z.number().int().min(1).max(120).optional(),
  },
  output: {
    timed_out: z.boolean(),
    delivery_id: z.string().nullable(),
    accepted: z.boolean().nullable(),
    status: z.number().nullable(),
    reason: z.string().nullable(),
    fix: z.string().nullable(),
    run: RunSummary.nullable(),
  },
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, context) {
    const { client } = context;
    const timeoutMs = (args.timeout_seconds ?? 60) * 1000;
    const baseline =
      args.after_delivery_id ??
      (await client.deliveries.list(args.id, { limit: 1 })).deliveries[0]?.id;
    const started = Date.now();
    for (;;) {
      const { deliveries } = await client.deliveries.list(args.id, { limit: 50 });
      // Newest first: everything before the baseline is new, and the last of those came next.
      const index =
        baseline === undefined ? deliveries.length : deliveries.findIndex((d) => d.id === baseline);
      const next = (index === -1 ? deliveries : deliveries.slice(0, index)).at(-1);
      if (next) {
        const run = next.run_id ? runSummary(await client.runs.get(next.run_id)) : null;
        return {
          structured: {
            timed_out: false,
            delivery_id: next.id,
            accepted: next.outcome === "accepted",
            status: next.status,
            reason: next.reason,
            fix: fixFor(next.reason),
            run,
          },
        };
      }
      const waited = Date.now() - started;
      if (waited >= timeoutMs || context.signal.aborted) {
        return {
          structured: {
            timed_out: true,
            delivery_id: null,
            accepted: null,
            status: null,
            reason: null,
            fix: null,
            run: null,
          },
          text: `No request arrived within ${Math.round(timeoutMs / 1000)} s. Ask the person whether the sender ran, then wait again.`,
        };
      }
      await context.progress(
        Math.round(waited / 1000),
        Math.round(timeoutMs / 1000),
        "Waiting for the next request to the ingress URL",
      );
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  },
});
