import { TOOLSET_NAMES, type ToolDefinition, type ToolsetName } from "../src/mcp/tool.js";
import { answerInboundWebhookWizard } from "./answer-inbound-webhook-wizard.js";
import { createInboundWebhook } from "./create-inbound-webhook.js";
import { deleteInboundWebhook } from "./delete-inbound-webhook.js";
import { diagnoseInboundWebhookSignature } from "./diagnose-inbound-webhook-signature.js";
import { getInboundWebhookSenderGuide } from "./get-inbound-webhook-sender-guide.js";
import { getInboundWebhookWizard } from "./get-inbound-webhook-wizard.js";
import { listApiKeys } from "./list-api-keys.js";
import { listInboundWebhookDeliveries } from "./list-inbound-webhook-deliveries.js";
import { listInboundWebhooks } from "./list-inbound-webhooks.js";
import { listWorkflows } from "./list-workflows.js";
import { rotateInboundWebhookSecret } from "./rotate-inbound-webhook-secret.js";
import { sendInboundWebhookTest } from "./send-inbound-webhook-test.js";
import { startInboundWebhookWizard } from "./start-inbound-webhook-wizard.js";
import { updateInboundWebhook } from "./update-inbound-webhook.js";
import { waitForInboundWebhookDelivery } from "./wait-for-inbound-webhook-delivery.js";

/**
 * Every MCP tool, in the order hosts list them: the guided setup first (what a person asking
 * in chat needs), then the reads an agent calls first, then the writes. Adding a tool: one
 * file exporting a `defineTool(...)` that names its `toolset`, one line here, then update the
 * catalogue snapshot (`npx vitest run test/mcp/catalogue.test.ts -u`) and the README.
 */
export const TOOLS: readonly ToolDefinition[] = [
  startInboundWebhookWizard,
  answerInboundWebhookWizard,
  getInboundWebhookWizard,
  listWorkflows,
  listApiKeys,
  listInboundWebhooks,
  listInboundWebhookDeliveries,
  waitForInboundWebhookDelivery,
  diagnoseInboundWebhookSignature,
  getInboundWebhookSenderGuide,
  createInboundWebhook,
  updateInboundWebhook,
  sendInboundWebhookTest,
  rotateInboundWebhookSecret,
  deleteInboundWebhook,
];

/**
 * Named groups of tools, so a host with a small context can list only what it uses
 * (`--toolsets`), derived from each tool's `toolset`, in registry order.
 */
export const TOOLSETS: Readonly<Record<ToolsetName, readonly string[]>> = groupByToolset(TOOLS);

function groupByToolset(tools: readonly ToolDefinition[]): Record<ToolsetName, string[]> {
  const groups = {} as Record<ToolsetName, string[]>;
  for (const toolset of TOOLSET_NAMES) {
    groups[toolset] = tools.filter((tool) => tool.toolset === toolset).map((tool) => tool.name);
  }
  return groups;
}

export type { ToolsetName };

/** The tools of the named groups, in registry order. */
export function toolsIn(toolsets: readonly ToolsetName[]): ToolDefinition[] {
  const wanted = new Set<string>(toolsets);
  return TOOLS.filter((tool) => wanted.has(tool.toolset));
}
