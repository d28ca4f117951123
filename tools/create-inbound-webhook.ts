import { randomUUID } from "node:crypto";
import { z } from "zod";
import { SubscriptionName } from "../src/contract/schemas.js";
import { inputFieldsOf, senderSample } from "../src/contract/workflow-input.js";
import { ExtrasArgument } from "../src/mcp/arguments.js";
import { deliverSecret, SecretDeliveryResult } from "../src/mcp/secret-delivery.js";
import { defineTool } from "../src/mcp/tool.js";
import { SubscriptionView, subscriptionView } from "../src/mcp/views.js";
import { buildCurlTemplate } from "../src/signing/curl.js";

export const createInboundWebhook = defineTool({
  name: "create_inbound_webhook",
  toolset: "webhooks",
  title: "Create inbound webhook",
  description:
    "Creates an inbound webhook: senders POST signed JSON to its ingress_url to start the workflow. Needs a saved workflow and an API key. The signing secret is never returned: the person gets it once at reveal_url.",
  input: {
    workflow_id: z.string().describe("A saved workflow's id"),
    name: SubscriptionName.describe("Label, unique per workflow"),
    automation_pat_id: z.string().describe("The API key senders will use"),
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
    const workflow = await client.workflows.get(args.workflow_id);
    const created = await client.inboundWebhooks.create(
      {
        workflow_id: args.workflow_id,
        name: args.name,
        automation_pat_id: args.automation_pat_id,
        ...(args.extras ? { extras: args.extras } : {}),
      },
      { idempotencyKey: randomUUID() },
    );
    const subscription = subscriptionView(created.subscription);
    const curl = buildCurlTemplate({
      ingressUrl: created.ingress_url,
      body: JSON.stringify(
        senderSample(
          inputFieldsOf(workflow),
          Object.keys(workflow.run_setup_defaults),
          created.subscription.extras,
        ),
      ),
    });
    const delivery = await deliverSecret(context, {
      value: created.signing_secret,
      webhookName: subscription.name,
      ingressUrl: created.ingress_url,
      patHint: created.subscription.automation_pat_hint,
      curl,
      afterwards: "Then share curl_test to try it.",
    });
    return { structured: { subscription, curl_test: curl, ...delivery } };
  },
});
