import { z } from "zod";
import { SignatureDiagnosis } from "../src/contract/schemas.js";
import { defineTool } from "../src/mcp/tool.js";

export const diagnoseInboundWebhookSignature = defineTool({
  name: "diagnose_inbound_webhook_signature",
  toolset: "operations",
  title: "Diagnose inbound webhook signature",
  description:
    "Tells why a body's X-Agentruntime-Signature fails (re-serialized JSON, newline, encoding, wrong secret); never reveals the right one.",
  input: {
    id: z.string(),
    body: z.string().max(100_000).describe("Exactly as sent"),
    signature: z.string().max(200).describe('"" if none'),
  },
  output: { category: SignatureDiagnosis, explanation: z.string(), fix: z.string() },
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  async run(args, { client }) {
    return {
      structured: await client.inboundWebhooks.diagnose(args.id, {
        body: args.body,
        signature: args.signature,
      }),
    };
  },
});
