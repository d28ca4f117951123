import { z } from "zod";
import { CARD_TOOL_META } from "../src/card/resource.js";
import { defineTool } from "../src/mcp/tool.js";
import { answerOf, wizardsOf } from "../src/mcp/wizard-tools.js";
import { StepView } from "../src/wizard/step-view.js";

export const startInboundWebhookWizard = defineTool({
  name: "start_inbound_webhook_wizard",
  toolset: "wizard",
  title: "Start inbound webhook setup",
  description:
    "Call first when a person wants outside events to start a workflow: a guided setup. Reply via answer_inbound_webhook_wizard. Secrets never go in chat.",
  input: {
    workflow_id: z.string().optional().describe("Workflow open in Studio"),
    sender: z.string().max(64).optional(),
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
