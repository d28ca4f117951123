import {
  AgentRuntimeError,
  ApiError,
  ConnectionError,
  InvalidResponseError,
  TimeoutError,
} from "../client/errors.js";
import { MAX_MESSAGE_CHARS, markUntrusted } from "../text/untrusted.js";
import { ToolFailure } from "./tool.js";

/** What the failed call was doing: it decides what can be said about side effects. */
export type Operation = "read" | "create" | "change";

const NEXT_STEP: Record<string, string> = {
  unauthenticated:
    "AgentRuntime rejected this server's token. The operator must set a valid AGENTRUNTIME_TOKEN; calling again will not help.",
  forbidden:
    "This server's token may only read (project_viewer); creating, changing and deleting need project_contributor. Tell the person an operator must configure a contributor token.",
  workflow_not_found:
    "No workflow has this workflow_id. Call list_workflows and use an id from it.",
  subscription_not_found:
    "No inbound webhook has this id (it may have been deleted). Call list_inbound_webhooks for the current ids.",
  api_key_not_found:
    "No API key has this automation_pat_id. Call list_api_keys and use an id from it.",
  workflow_is_draft:
    'This workflow is a draft, and only saved workflows can subscribe. Tell the person: "Open a saved workflow in Workflow Studio first." Or use a workflow whose status is saved (list_workflows).',
  name_taken:
    "This workflow already has an inbound webhook with this name. Ask the person for another name, or suggest one, then call again.",
  pat_secret_not_in_vault:
    "The secret of this API key is not in Vault, so the person must paste the PAT once. Never ask for it in chat: use the guided setup (start_inbound_webhook_wizard), which collects it on a one-time page, or choose a key with in_vault: true from list_api_keys.",
  pat_mismatch:
    "The pasted PAT is not the chosen API key's secret. The person should paste the pat_… token of the key they chose, on the one-time page.",
  inbound_webhooks_disabled:
    "Inbound webhooks are turned off on this AgentRuntime deployment (the inbound_webhooks switch). Tell the person to ask their operator or support@agentruntime.io; no tool call can fix this.",
};

const UNKNOWN_OUTCOME =
  "It is not known whether the inbound webhook was created: call list_inbound_webhooks before trying again.";

/**
 * Turns an AgentRuntime client error into a failure the model can act on: what failed, why,
 * and the next step. Upstream messages are untrusted text and are cleaned before use.
 */
export function toToolFailure(error: unknown, operation: Operation): ToolFailure | undefined {
  if (!(error instanceof AgentRuntimeError)) return undefined;
  if (error instanceof ApiError) {
    const known = NEXT_STEP[error.code];
    if (known) return new ToolFailure(error.code, known);
    const upstream = markUntrusted(error.message, MAX_MESSAGE_CHARS);
    if (error.status === 400) {
      return new ToolFailure(
        error.code,
        `AgentRuntime refused the arguments: ${upstream} Fix the named field and call again.`,
      );
    }
    if (error.retryable) {
      return new ToolFailure(
        error.code,
        `AgentRuntime is unavailable right now (status ${error.status}). ${
          operation === "create"
            ? UNKNOWN_OUTCOME
            : "Nothing was changed by this call; try again in a minute."
        }`,
      );
    }
    return new ToolFailure(
      error.code,
      `AgentRuntime refused the request (status ${error.status}, ${error.code}): ${upstream}`,
    );
  }
  if (error instanceof ConnectionError || error instanceof TimeoutError) {
    const what = error instanceof TimeoutError ? "did not answer in time" : "could not be reached";
    const outcome =
      operation === "read"
        ? "Try again in a minute."
        : operation === "create"
          ? UNKNOWN_OUTCOME
          : "The change may or may not have been applied: read the webhook again before retrying.";
    return new ToolFailure(error.code, `AgentRuntime ${what}. ${outcome}`);
  }
  if (error instanceof InvalidResponseError) {
    return new ToolFailure(
      error.code,
      "AgentRuntime answered in a form this server does not understand (a version mismatch?). Tell the person; calling again will not help.",
    );
  }
  return new ToolFailure(error.code, markUntrusted(error.message, MAX_MESSAGE_CHARS));
}
