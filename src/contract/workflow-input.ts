import type { InputType, Workflow } from "./schemas.js";

type SubscriptionExtras = {
  use_run_setup_defaults: boolean;
  trigger_payload: Record<string, unknown>;
};

/** `{{input.field}}` or `{{ input.a.b }}`: how a workflow step reads its run input. */
export const INPUT_REFERENCE = /\{\{\s*input\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;

/** The `{{input.*}}` fields a workflow's steps read (and require), in order of first use. */
export function inputFieldsOf(workflow: Pick<Workflow, "steps">): string[] {
  const fields = new Set<string>();
  for (const step of workflow.steps) {
    for (const match of step.template.matchAll(INPUT_REFERENCE)) fields.add(match[1] as string);
    for (const field of step.required_input) fields.add(field);
  }
  return [...fields];
}

/** The types the workflow's steps declare for their input fields, by field path. */
export function inputTypesOf(workflow: Pick<Workflow, "steps">): Record<string, InputType> {
  return Object.assign({}, ...workflow.steps.map((step) => step.input_types ?? {}));
}

/** A value of each declared type that a sender can recognise as an example. */
function sampleValue(field: string, type: InputType | undefined): unknown {
  switch (type) {
    case "integer":
      return 2;
    case "number":
      return 19.99;
    case "boolean":
      return true;
    case "email":
      return "jane@example.com";
    case "url":
      return "https://example.com/";
    default:
      return `example-${field.replaceAll("_", "-")}`;
  }
}

/**
 * A sample webhook body with a value of the declared type (a string when undeclared) for
 * every field the workflow reads, nested where the field is a path
 * (`customer.email` → `{"customer": {"email": …}}`), minus the fields the subscription fixes.
 */
export function sampleBody(
  fields: readonly string[],
  fixed: readonly string[] = [],
  types: Readonly<Record<string, InputType>> = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of fields) {
    if (fixed.includes(field.split(".")[0] as string)) continue;
    const parts = field.split(".");
    let node = body;
    parts.forEach((part, index) => {
      if (index === parts.length - 1) {
        node[part] ??= sampleValue(part, types[field]);
        return;
      }
      const next = node[part];
      node[part] = next !== null && typeof next === "object" ? next : {};
      node = node[part] as Record<string, unknown>;
    });
  }
  return body;
}

/**
 * Input a sender need not send: what the subscription fixes, and, when it merges them, the
 * fields the workflow's saved run setup defaults fill in.
 */
export function suppliedFields(
  extras: SubscriptionExtras,
  defaultFields: readonly string[],
): string[] {
  return [
    ...Object.keys(extras.trigger_payload),
    ...(extras.use_run_setup_defaults ? defaultFields : []),
  ];
}

/** The sample body a sender of this subscription would post: what it reads, minus what is supplied. */
export function senderSample(
  inputFields: readonly string[],
  defaultFields: readonly string[],
  extras: SubscriptionExtras,
  types: Readonly<Record<string, InputType>> = {},
): Record<string, unknown> {
  return sampleBody(inputFields, suppliedFields(extras, defaultFields), types);
}
