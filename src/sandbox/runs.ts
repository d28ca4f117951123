import type { Extras, Run, RunStepResult, Workflow, WorkflowStep } from "../contract/schemas.js";
import { INPUT_REFERENCE } from "../contract/workflow-input.js";

type JsonObject = Record<string, unknown>;

/**
 * What a subscription adds around a POST body to make the workflow input: run setup defaults
 * beneath it (only when the subscription opts in), its fixed `extras.trigger_payload` above it,
 * so a sender cannot override the owner. Stored with each run instead of a merged copy.
 */
export interface TriggerOverlay {
  beneath: JsonObject;
  above: JsonObject;
}

/** The overlay a subscription puts around every body it accepts. */
export function triggerOverlay(
  workflow: Pick<Workflow, "run_setup_defaults">,
  extras: Extras,
): TriggerOverlay {
  return {
    beneath: extras.use_run_setup_defaults ? workflow.run_setup_defaults : {},
    above: extras.trigger_payload,
  };
}

/** The workflow input (`trigger_payload`) of a run, a shallow merge where later wins. */
export function buildTriggerPayload(
  workflow: Pick<Workflow, "run_setup_defaults">,
  extras: Extras,
  body: JsonObject,
): JsonObject {
  return overlaid(triggerOverlay(workflow, extras), body);
}

function overlaid(overlay: TriggerOverlay, body: JsonObject): JsonObject {
  return { ...overlay.beneath, ...body, ...overlay.above };
}

function lookup(input: JsonObject, path: string): unknown {
  let value: unknown = input;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = Object.hasOwn(value, part) ? (value as JsonObject)[part] : undefined;
  }
  return value;
}

/** The fields a step requires that the input leaves out (missing, null or empty). */
function missingInput(step: WorkflowStep, input: JsonObject): string[] {
  return step.required_input.filter((field) => {
    const value = lookup(input, field);
    return value === undefined || value === null || value === "";
  });
}

function missingInputError(step: WorkflowStep, missing: string[]): string {
  return `Step "${step.name}" needs ${missing.map((field) => `input.${field}`).join(", ")}, which the input did not carry.`;
}

/**
 * A run's status and error without rendering its steps, as ingress stores them: the first
 * step whose required input is missing fails the run, as in `renderRun`.
 */
export function runOutcome(
  workflow: Pick<Workflow, "steps">,
  overlay: TriggerOverlay,
  body: JsonObject,
): Pick<Run, "status" | "error"> {
  const input = overlaid(overlay, body);
  for (const step of workflow.steps) {
    const missing = missingInput(step, input);
    if (missing.length > 0) return { status: "failed", error: missingInputError(step, missing) };
  }
  return { status: "succeeded", error: null };
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
  return renderRun(workflow, {
    id: start.id,
    subscription_id: start.subscription_id,
    webhook_payload: start.webhook_payload,
    overlay: triggerOverlay(workflow, start.extras),
    created_at: start.now,
  });
}

/**
 * A run from what the store keeps of it (the body as sent and the overlay), rendered the
 * same way every time: sandbox workflows never change, so neither do a run's steps.
 */
export function renderRun(
  workflow: Workflow,
  start: {
    id: string;
    subscription_id: string;
    webhook_payload: JsonObject;
    overlay: TriggerOverlay;
    created_at: string;
  },
): Run {
  const input = overlaid(start.overlay, start.webhook_payload);
  const steps: RunStepResult[] = [];
  let error: string | null = null;
  for (const step of workflow.steps) {
    const missing = missingInput(step, input);
    if (missing.length > 0) {
      error = missingInputError(step, missing);
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
    created_at: start.created_at,
  };
}
