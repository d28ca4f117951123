import {
  AgentRuntimeError,
  ApiError,
  ConnectionError,
  InvalidResponseError,
  TimeoutError,
} from "../client/errors.js";
import { MAX_MESSAGE_CHARS, markUntrusted } from "../untrusted/mark.js";
import { ToolFailure } from "./tool.js";

/** What the failed call was doing: it decides what can be said about side effects. */
export type Operation = "read" | "create" | "change";

/** Whether this server registered a tool: a next step never names one it would refuse. */
export type Offers = (tool: string) => boolean;

const NEXT_STEP: Record<string, (offers: Offers) => string> = {
  unauthenticated: () =>
    "AgentRuntime rejected the token this server was started with. The operator must set a valid AGENTRUNTIME_TOKEN; calling again will not help.",
  forbidden: () =>
    "The token this server was started with may only read (project_viewer); creating, changing and deleting need project_contributor. Nothing was created or changed. Tell the person the operator must give this server a contributor's AGENTRUNTIME_TOKEN.",
  workflow_not_found: (offers) =>
    `No workflow has this workflow_id. ${
      offers("list_workflows")
        ? "Call list_workflows and use an id from it."
        : "Ask the person for the id of a saved workflow (Workflow Studio shows it)."
    }`,
  subscription_not_found: (offers) =>
    `No inbound webhook has this id (it may have been deleted). ${
      offers("list_inbound_webhooks")
        ? "Call list_inbound_webhooks for the current ids."
        : "Ask the person for the webhook's current id."
    }`,
  api_key_not_found: (offers) =>
    `No API key has this automation_pat_id. ${
      offers("list_api_keys")
        ? "Call list_api_keys and use an id from it."
        : "Ask the person for the id of the API key senders will use."
    }`,
  workflow_is_draft: (offers) =>
    `This workflow is a draft, and only saved workflows can subscribe. Tell the person: "Open a saved workflow in Workflow Studio first."${
      offers("list_workflows") ? " Or use a workflow whose status is saved (list_workflows)." : ""
    }`,
  name_taken: () =>
    "This workflow already has an inbound webhook with this name. Ask the person for another name, or suggest one, then call again.",
  pat_secret_not_in_vault: (offers) =>
    `The secret of this API key is not in Vault, so the person must paste the PAT once. Never ask for it in chat: ${
      offers("start_inbound_webhook_wizard")
        ? "use the guided setup (start_inbound_webhook_wizard), which collects it on a one-time page, or choose"
        : "choose"
    } a key with in_vault: true${offers("list_api_keys") ? " from list_api_keys" : ""}.`,
  pat_mismatch: () =>
    "The pasted PAT is not the chosen API key's secret. The person should paste the pat_… token of the key they chose, on the one-time page.",
  rotation_in_progress: () =>
    "An earlier rotation's overlap is still running: rotating again now would cut off senders still on the oldest secret. Wait until the webhook's previous_secret_expires_at, or, if the person agrees to cut them off, call again with force: true.",
  run_not_found: () => "No run has this id. Use the run_id of an accepted delivery instead.",
  storage_unavailable: () =>
    "AgentRuntime could not store anything just now (its storage is full or unavailable), so nothing was created or changed. Try again in a minute; if it keeps failing, tell the person the operator must free space on AgentRuntime's disk.",
  inbound_webhooks_disabled: () =>
    "Inbound webhooks are turned off on this AgentRuntime deployment (the inbound_webhooks switch). Tell the person to ask their operator or support@agentruntime.io; no tool call can fix this.",
};

/**
 * The same two codes when each caller brings their own AgentRuntime token (hosted mode): it is
 * the caller's token AgentRuntime judged, and only the person can fix it.
 */
const CALLER_NEXT_STEP: Record<string, string> = {
  unauthenticated:
    "AgentRuntime no longer accepts your AgentRuntime token (it expired or was revoked). Tell the person to sign in again, so the chat sends a valid AgentRuntime token, then call again.",
  forbidden:
    "Your AgentRuntime token may only read this project (project_viewer); creating, changing and deleting inbound webhooks need project_contributor. Nothing was created or changed. Tell the person to ask a project admin for the contributor role (or to sign in as someone who has it), then start again.",
};

/** A caller's rejected token, worded as theirs (hosted mode); undefined for any other error. */
export function callerTokenFailure(error: unknown): ToolFailure | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const words = CALLER_NEXT_STEP[error.code];
  return words ? new ToolFailure(error.code, words) : undefined;
}

const unknownOutcome = (offers: Offers) =>
  `It is not known whether the inbound webhook was created: ${
    offers("list_inbound_webhooks")
      ? "call list_inbound_webhooks"
      : "ask the person to check the workflow's webhooks"
  } before trying again.`;

/**
 * Turns an AgentRuntime client error into a failure the model can act on: what failed, why,
 * and the next step, naming only tools this server `offers`. Upstream messages are untrusted
 * text and are cleaned before use.
 */
export function toToolFailure(
  error: unknown,
  operation: Operation,
  offers: Offers = () => true,
): ToolFailure | undefined {
  if (!(error instanceof AgentRuntimeError)) return undefined;
  if (error instanceof ApiError) {
    const known = NEXT_STEP[error.code];
    if (known) return new ToolFailure(error.code, known(offers));
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
            ? unknownOutcome(offers)
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
          ? unknownOutcome(offers)
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
