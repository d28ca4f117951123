import { z } from "zod";
import { SignatureDiagnosis } from "../src/contract/schemas.js";
import { defineTool } from "../src/mcp/tool.js";

export const diagnoseInboundWebhookSignature = defineTool({
  name: "diagnose_inbound_webhook_signature",
  toolset: "operations",
  title: "Diagnose inbound webhook signature",
  description:
    "Tells why a sender's X-Agentruntime-Signature fails for a body: re-serialized JSON, trailing newline, wrong prefix or case, encoding, another or rotated-out secret. Never reveals the expected signature.",
  input: {
    id: z.string().describe("The webhook id"),
    body: z.string().max(100_000).describe("The raw body exactly as sent"),
    signature: z.string().max(200).describe('The header value sent, "" if none'),
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
