import type { RevealContent } from "./one-time-pages.js";

/**
 * The one-time page that shows a new signing secret, worded once for the tools and the
 * guided setup alike.
 */
export function signingSecretPage(secret: {
  value: string;
  webhookName: string;
  ingressUrl: string;
  patHint: string;
  curl: string;
}): RevealContent {
  return {
    title: `Signing secret of the inbound webhook "${secret.webhookName}"`,
    secret: secret.value,
    secretLabel: "Signing secret",
    ingressUrl: secret.ingressUrl,
    curl: secret.curl,
    notes: [
      "Keep it in a secrets manager: senders sign every request body with it (X-Agentruntime-Signature).",
      `Senders also send the automation PAT (${secret.patHint}) as "Authorization: Bearer pat_…".`,
    ],
  };
}
