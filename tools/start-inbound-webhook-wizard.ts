import { z } from "zod";
import { CARD_TOOL_META } from "../src/card/resource.js";
import { defineTool } from "../src/mcp/tool.js";
import { answerOf, wizardsOf } from "../src/mcp/wizard-tools.js";
import { StepView } from "../src/wizard/steps.js";

export const startInboundWebhookWizard = defineTool({
  name: "start_inbound_webhook_wizard",
  title: "Start inbound webhook setup",
  description:
    "Starts the guided setup when a person wants external events to start a workflow. Each result says what to say next and lists the legal answers; reply with answer_inbound_webhook_wizard. PATs and secrets go through one-time pages, never chat.",
  input: {
    workflow_id: z.string().optional().describe("The workflow open in Workflow Studio"),
    sender: z.string().max(64).optional().describe("Who sends the events, e.g. Shopify"),
  },
  output: StepView.shape,
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  meta: CARD_TOOL_META,
  async run(args, context) {
    const outcome = await (await wizardsOf(context)).start({
      ...(args.workflow_id ? { workflowId: args.workflow_id } : {}),
      ...(args.sender ? { sender: args.sender } : {}),
    });
    return answerOf(outcome, context);
  },
});
