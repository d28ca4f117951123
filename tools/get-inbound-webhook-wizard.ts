import { z } from "zod";
import { CARD_TOOL_META } from "../src/card/resource.js";
import { defineTool } from "../src/mcp/tool.js";
import { answerOf, wizardsOf } from "../src/mcp/wizard-tools.js";
import { StepView } from "../src/wizard/step-view.js";

export const getInboundWebhookWizard = defineTool({
  name: "get_inbound_webhook_wizard",
  toolset: "wizard",
  title: "Get inbound webhook setup",
  description: "Shows the current step of a guided setup, e.g. after a restart.",
  input: { wizard_id: z.string() },
  output: StepView.shape,
  annotations: {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  meta: CARD_TOOL_META,
  async run(args, context) {
    return answerOf(await (await wizardsOf(context)).get(args.wizard_id), context);
  },
});
