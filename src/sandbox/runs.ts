import type { Extras, Run, RunStepResult, Workflow } from "../contract/schemas.js";
import { INPUT_REFERENCE } from "../contract/workflow-input.js";

type JsonObject = Record<string, unknown>;

/**
 * The workflow input (`trigger_payload`) of a run, a shallow merge where later wins:
 * run setup defaults (only when the subscription opts in), then the POST body, then the
 * subscription's fixed `extras.trigger_payload`, so a sender cannot override the owner.
 */
export function buildTriggerPayload(
  workflow: Pick<Workflow, "run_setup_defaults">,
  extras: Extras,
  body: JsonObject,
): JsonObject {
  return {
    ...(extras.use_run_setup_defaults ? workflow.run_setup_defaults : {}),
    ...body,
    ...extras.trigger_payload,
  };
}

function lookup(input: JsonObject, path: string): unknown {
  let value: unknown = input;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = Object.hasOwn(value, part) ? (value as JsonObject)[part] : undefined;
  }
  return value;
}

function display(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Executes a workflow the way the sandbox can: each step renders its template from the
 * input, and a step whose required input is missing fails the run there.
 */
export function executeRun(
  workflow: Workflow,
  start: {
    id: string;
    subscription_id: string;
    webhook_payload: JsonObject;
    extras: Extras;
    now: string;
  },
): Run {
  const input = buildTriggerPayload(workflow, start.extras, start.webhook_payload);
  const steps: RunStepResult[] = [];
  let error: string | null = null;
  for (const step of workflow.steps) {
    const missing = step.required_input.filter((field) => {
      const value = lookup(input, field);
      return value === undefined || value === null || value === "";
    });
    if (missing.length > 0) {
      error = `Step "${step.name}" needs ${missing.map((field) => `input.${field}`).join(", ")}, which the input did not carry.`;
      break;
    }
    const received: JsonObject = {};
    const output = step.template.replace(INPUT_REFERENCE, (_whole, field: string) => {
      const value = lookup(input, field);
      received[field] = value ?? null;
      return display(value);
    });
    steps.push({ name: step.name, template: step.template, received, output });
  }
  return {
    id: start.id,
    workflow_id: workflow.id,
    subscription_id: start.subscription_id,
    status: error === null ? "succeeded" : "failed",
    start_params: { webhook_payload: start.webhook_payload, trigger_payload: input },
    input,
    steps,
    error,
    created_at: start.now,
  };
}
