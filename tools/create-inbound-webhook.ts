import { randomUUID } from "node:crypto";
import { z } from "zod";
import { SubscriptionName } from "../src/contract/schemas.js";
import { inputFieldsOf, senderSample } from "../src/contract/workflow-input.js";
import { ExtrasArgument } from "../src/mcp/arguments.js";
import { deliverSecret, SecretDeliveryResult } from "../src/mcp/secret-delivery.js";
import { defineTool } from "../src/mcp/tool.js";
import { SubscriptionView, subscriptionView } from "../src/mcp/views.js";
import { buildCurlTemplate } from "../src/signing/curl.js";
import { cleanLine } from "../src/untrusted/mark.js";

export const createInboundWebhook = defineTool({
  name: "create_inbound_webhook",
  toolset: "webhooks",
  title: "Create inbound webhook",
  description:
    "Creates an inbound webhook: signed POSTs to its ingress_url start the workflow. Call list_workflows and list_api_keys first. The secret is shown once at reveal_url.",
  input: {
    workflow_id: z.string(),
    name: SubscriptionName,
    automation_pat_id: z.string(),
    extras: ExtrasArgument.optional(),
  },
  output: {
    subscription: SubscriptionView,
    curl_test: z.string(),
    ...SecretDeliveryResult,
  },
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  async run(args, context) {
    const { client } = context;
    // Both at once: the workflow only shapes the curl sample, so its read never holds up
    // (or, failing, loses) a webhook whose secret exists only in this answer.
    const [workflow, created] = await Promise.all([
      client.workflows.get(args.workflow_id).catch(() => undefined),
      client.inboundWebhooks.create(
        {
          workflow_id: args.workflow_id,
          name: args.name,
          automation_pat_id: args.automation_pat_id,
          ...(args.extras ? { extras: args.extras } : {}),
        },
        { idempotencyKey: randomUUID() },
      ),
    ]);
    const subscription = subscriptionView(created.subscription);
    const curl = buildCurlTemplate({
      ingressUrl: created.ingress_url,
      body: JSON.stringify(
        senderSample(
          workflow ? inputFieldsOf(workflow) : [],
          Object.keys(workflow?.run_setup_defaults ?? {}),
          created.subscription.extras,
        ),
      ),
    });
    const delivery = await deliverSecret(context, {
      value: created.signing_secret,
      // The page and the client's prompt are read by the person: the name cleaned, not marked.
      webhookName: cleanLine(created.subscription.name),
      ingressUrl: created.ingress_url,
      patHint: created.subscription.automation_pat_hint,
      curl,
      afterwards: "Then share curl_test to try it.",
    });
    return { structured: { subscription, curl_test: curl, ...delivery } };
  },
});
