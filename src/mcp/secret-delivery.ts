import { z } from "zod";
import { signingSecretPage } from "../pages/signing-secret-page.js";
import type { ToolContext } from "./tool.js";

/** The part of a tool result that tells how a new signing secret reaches the person. */
export const SecretDeliveryResult = {
  secret_delivery: z.enum(["page", "elicitation", "inline"]),
  reveal_url: z.string().nullable(),
  signing_secret: z.string().optional(),
  next_step: z.string(),
};

/**
 * Hands a new signing secret to the person: on a one-time page (sent through URL-mode
 * elicitation when the client has it), or, with inline delivery, in the result itself.
 */
export async function deliverSecret(
  context: ToolContext,
  secret: {
    value: string;
    webhookName: string;
    ingressUrl: string;
    patHint: string;
    curl: string;
    /** What the person should do once they have it. */
    afterwards: string;
  },
) {
  if (context.secretDelivery === "inline") {
    return {
      secret_delivery: "inline" as const,
      reveal_url: null,
      signing_secret: secret.value,
      next_step: `Inline secret delivery is on: store signing_secret in the sender's secret manager now; it is not shown again. ${secret.afterwards}`,
    };
  }
  const page = await context.pages.createReveal(signingSecretPage(secret), () =>
    context.completeElicitation(page.id),
  );
  const opened = await context.openUrl({
    url: page.url,
    elicitationId: page.id,
    message: `Open this one-time page to copy the signing secret of "${secret.webhookName}". It is shown once.`,
  });
  return {
    secret_delivery: opened ? ("elicitation" as const) : ("page" as const),
    reveal_url: page.url,
    next_step: opened
      ? `The person was sent to the one-time page with the signing secret; ask them to confirm they stored it. ${secret.afterwards}`
      : `Give the person reveal_url: it shows the signing secret once, until ${page.expires_at}. Never ask them to paste the secret into the chat. ${secret.afterwards}`,
  };
}
