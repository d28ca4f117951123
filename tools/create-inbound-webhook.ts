import { randomUUID } from "node:crypto";
import { z } from "zod";
import { MAX_NAME_LENGTH, SubscriptionName } from "../src/contract/schemas.js";
import { inputFieldsOf, sampleBody } from "../src/contract/workflow-input.js";
import { defineTool } from "../src/mcp/tool.js";
import { SubscriptionView, subscriptionView } from "../src/mcp/views.js";
import { buildCurlTemplate } from "../src/signing/curl.js";

/**
 * Extras as tools take them: static trigger_payload values are scalars so any model can
 * fill them in; on update the object is a merge patch, where null removes a key.
 */
export const ExtrasArgument = z.strictObject({
  use_run_setup_defaults: z
    .boolean()
    .optional()
    .describe("Merge the workflow's saved run setup defaults into the input"),
  trigger_payload: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .optional()
    .describe("Fixed input fields, overriding the sender's"),
});

export const createInboundWebhook = defineTool({
  name: "create_inbound_webhook",
  title: "Create inbound webhook",
  description:
    "Creates an inbound webhook: senders POST signed JSON to its ingress_url to start the workflow. Needs a saved workflow (list_workflows) and an API key (list_api_keys). Never returns the signing secret: the person gets it once at reveal_url.",
  input: {
    workflow_id: z.string().describe("A saved workflow's id"),
    name: SubscriptionName.describe(
      `Label, unique per workflow, at most ${MAX_NAME_LENGTH} characters`,
    ),
    automation_pat_id: z.string().describe("Id of the API key senders will use"),
    extras: ExtrasArgument.optional(),
  },
  output: {
    subscription: SubscriptionView,
    secret_delivery: z.enum(["page", "elicitation", "inline"]),
    reveal_url: z.string().nullable(),
    signing_secret: z.string().optional(),
    curl_test: z.string(),
    next_step: z.string(),
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
    // The sample body leaves out what the sender need not send: fixed input and saved defaults.
    const fixed = [
      ...Object.keys(created.subscription.extras.trigger_payload),
      ...(created.subscription.extras.use_run_setup_defaults
        ? Object.keys(workflow.run_setup_defaults)
        : []),
    ];
    const curl = buildCurlTemplate({
      ingressUrl: created.ingress_url,
      body: JSON.stringify(sampleBody(inputFieldsOf(workflow), fixed)),
    });
    const common = { subscription, curl_test: curl };
    if (context.secretDelivery === "inline") {
      return {
        structured: {
          ...common,
          secret_delivery: "inline" as const,
          reveal_url: null,
          signing_secret: created.signing_secret,
          next_step:
            "Inline secret delivery is on: store signing_secret in the sender's secret manager now; it is not shown again.",
        },
      };
    }
    const page = await context.pages.createReveal(
      {
        title: `Signing secret of the inbound webhook "${subscription.name}"`,
        secret: created.signing_secret,
        secretLabel: "Signing secret",
        ingressUrl: created.ingress_url,
        curl,
        notes: [
          "Keep it in a secrets manager: senders sign every request body with it (X-Agentruntime-Signature).",
          `Senders also send the automation PAT (${created.subscription.automation_pat_hint}) as "Authorization: Bearer pat_…".`,
        ],
      },
      () => context.completeElicitation(page.id),
    );
    const opened = await context.openUrl({
      url: page.url,
      elicitationId: page.id,
      message: `Open this one-time page to copy the signing secret of "${subscription.name}". It is shown once.`,
    });
    return {
      structured: {
        ...common,
        secret_delivery: opened ? ("elicitation" as const) : ("page" as const),
        reveal_url: page.url,
        next_step: opened
          ? "The person was sent to the one-time page with the signing secret; ask them to confirm they stored it, then share curl_test to try it."
          : `Give the person reveal_url: it shows the signing secret once, until ${page.expires_at}. Never ask them to paste the secret into the chat. Then share curl_test to try it.`,
      },
    };
  },
});
