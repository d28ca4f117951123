import { z } from "zod";
import { CARD_TOOL_META } from "../src/card/resource.js";
import { defineTool } from "../src/mcp/tool.js";
import { answerOf, wizardsOf } from "../src/mcp/wizard-tools.js";
import { eventFor, StepView, WIZARD_ACTIONS } from "../src/wizard/steps.js";
import { ExtrasArgument } from "./create-inbound-webhook.js";

export const answerInboundWebhookWizard = defineTool({
  name: "answer_inbound_webhook_wizard",
  title: "Answer inbound webhook setup",
  description:
    "Gives the person's answer to the current setup step; use only an action the last result listed, with its value. continue re-reads the step after the person used a page.",
  input: {
    wizard_id: z.string(),
    action: z.enum(WIZARD_ACTIONS),
    value: z.string().max(200).optional().describe("The option value or the typed name"),
    ...ExtrasArgument.shape,
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
    const wizards = await wizardsOf(context);
    const event = eventFor(args.action, args);
    const outcome =
      event === "continue"
        ? await wizards.get(args.wizard_id)
        : await wizards.send(args.wizard_id, event);
    return answerOf(outcome, context, { action: args.action, value: args.value });
  },
});
