import { z } from "zod";
import { MAX_SECRET_OVERLAP_SECONDS } from "../src/contract/schemas.js";
import { deliverSecret, SecretDeliveryResult } from "../src/mcp/secret-delivery.js";
import { defineTool } from "../src/mcp/tool.js";
import { SubscriptionView, subscriptionView } from "../src/mcp/views.js";
import { cleanLine } from "../src/untrusted/mark.js";

export const rotateInboundWebhookSecret = defineTool({
  name: "rotate_inbound_webhook_secret",
  toolset: "operations",
  title: "Rotate inbound webhook secret",
  description:
    "Replaces the signing secret (shown once at reveal_url); the old one verifies for previous_secret_ttl_seconds more. force rotates during an overlap.",
  input: {
    id: z.string(),
    previous_secret_ttl_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_SECRET_OVERLAP_SECONDS)
      .describe("0 stops the old one now"),
    force: z.boolean().optional(),
  },
  output: {
    subscription: SubscriptionView,
    previous_secret_expires_at: z.string().nullable(),
    ...SecretDeliveryResult,
  },
  annotations: {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: false,
  },
  async run(args, context) {
    const rotated = await context.client.inboundWebhooks.rotateSecret(args.id, {
      previous_secret_ttl_seconds: args.previous_secret_ttl_seconds,
      ...(args.force ? { force: true } : {}),
    });
    const subscription = subscriptionView(rotated.subscription);
    const delivery = await deliverSecret(context, {
      value: rotated.signing_secret,
      webhookName: cleanLine(rotated.subscription.name),
      ingressUrl: rotated.subscription.ingress_url,
      patHint: rotated.subscription.automation_pat_hint,
      curl: "(the same curl test as before, with the new secret in AGENTRUNTIME_SIGNING_SECRET)",
      afterwards: rotated.previous_secret_expires_at
        ? `Senders must switch before ${rotated.previous_secret_expires_at}, when the old secret stops working.`
        : "The old secret no longer works: senders must switch now.",
    });
    return {
      structured: {
        subscription,
        previous_secret_expires_at: rotated.previous_secret_expires_at,
        ...delivery,
      },
    };
  },
});
