import { z } from "zod";
import { defineTool } from "../src/mcp/tool.js";
import { fixFor } from "../src/text/delivery-fixes.js";
import { cleanJson } from "../src/text/untrusted.js";

export const RunSummary = z.object({
  id: z.string(),
  status: z.string(),
  input: z.record(z.string(), z.unknown()),
  steps: z.array(z.string()),
  error: z.string().nullable(),
});

/** A run as a model reads it: input and step outputs cleaned, since senders wrote them. */
export function runSummary(run: {
  id: string;
  status: string;
  input: Record<string, unknown>;
  steps: { name: string; output: string }[];
  error: string | null;
}) {
  return {
    id: run.id,
    status: run.status,
    input: cleanJson(run.input) as Record<string, unknown>,
    steps: run.steps.map((step) => cleanJson(`${step.name}: ${step.output}`) as string),
    error: run.error,
  };
}

export const sendInboundWebhookTest = defineTool({
  name: "send_inbound_webhook_test",
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
    const { delivery, run } = answer;
    return {
      structured: {
        accepted: delivery.outcome === "accepted",
        status: delivery.status,
        reason: delivery.reason,
        fix: fixFor(delivery.reason),
        run: run ? runSummary(run) : null,
      },
    };
  },
});
