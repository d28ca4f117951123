import type { ToolDefinition } from "../src/mcp/tool.js";
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
 * in chat needs), then the reads an agent calls first, then the writes. Adding a tool: one file exporting a `defineTool(...)`, one line here, then update
 * the catalogue snapshot (`npx vitest run test/mcp/catalogue.test.ts -u`) and the README.
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
 * (`--toolsets`). Every tool is in exactly one group.
 */
export const TOOLSETS = {
  wizard: [
    "start_inbound_webhook_wizard",
    "answer_inbound_webhook_wizard",
    "get_inbound_webhook_wizard",
  ],
  webhooks: [
    "list_workflows",
    "list_api_keys",
    "list_inbound_webhooks",
    "create_inbound_webhook",
    "update_inbound_webhook",
    "delete_inbound_webhook",
  ],
  operations: [
    "list_inbound_webhook_deliveries",
    "wait_for_inbound_webhook_delivery",
    "diagnose_inbound_webhook_signature",
    "get_inbound_webhook_sender_guide",
    "send_inbound_webhook_test",
    "rotate_inbound_webhook_secret",
  ],
} as const satisfies Record<string, readonly string[]>;

export type ToolsetName = keyof typeof TOOLSETS;

/** The tools of the named groups, in registry order. */
export function toolsIn(toolsets: readonly ToolsetName[]): ToolDefinition[] {
  const names = new Set<string>(toolsets.flatMap((name) => TOOLSETS[name]));
  return TOOLS.filter((tool) => names.has(tool.name));
}
