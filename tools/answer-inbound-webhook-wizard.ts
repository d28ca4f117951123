import { z } from "zod";
import { CARD_TOOL_META } from "../src/card/resource.js";
import { ExtrasArgument } from "../src/mcp/arguments.js";
import { defineTool } from "../src/mcp/tool.js";
import { answerOf, wizardRefusalHint, wizardsOf } from "../src/mcp/wizard-tools.js";
import { eventFor, StepView, WIZARD_ACTIONS } from "../src/wizard/step-view.js";

export const answerInboundWebhookWizard = defineTool({
  name: "answer_inbound_webhook_wizard",
  toolset: "wizard",
  title: "Answer inbound webhook setup",
  description:
    "Answers the current setup step with an action (and value) the last result listed; continue re-reads the step after a page was used.",
  input: {
    wizard_id: z.string(),
    action: z.enum(WIZARD_ACTIONS),
    value: z.string().max(200).optional(),
    ...ExtrasArgument.shape,
  },
  output: StepView.shape,
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  refusalHint: wizardRefusalHint,
  meta: CARD_TOOL_META,
  async run(args, context) {
    const wizards = await wizardsOf(context);
    const event = eventFor(args.action, args);
    const outcome =
      event === "continue"
        ? await wizards.get(args.wizard_id)
        : await wizards.send(args.wizard_id, event);
    return answerOf(outcome, context, { action: args.action, value: args.value });
  },
});
