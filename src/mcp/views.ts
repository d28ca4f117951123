import { z } from "zod";
import {
  ApiKey,
  MAX_PAGE_LIMIT,
  Subscription,
  type Workflow,
  WorkflowStatus,
} from "../contract/schemas.js";
import { inputFieldsOf } from "../contract/workflow-input.js";
import { markJson, markUntrusted } from "../untrusted/mark.js";

/** Tool-argument pieces shared by several tools, described for the model. */
export const pageArguments = {
  limit: z.number().int().min(1).max(MAX_PAGE_LIMIT).optional(),
  cursor: z.string().optional(),
};

export const nextCursor = z.string().nullable();

/** A workflow as a model needs it to choose one: can it subscribe, and what input it reads. */
export const WorkflowView = z.object({
  id: z.string(),
  name: z.string(),
  status: WorkflowStatus,
  input_fields: z.array(z.string()),
});
export type WorkflowView = z.infer<typeof WorkflowView>;

export function workflowView(workflow: Workflow): WorkflowView {
  return {
    id: workflow.id,
    name: markUntrusted(workflow.name),
    status: workflow.status,
    input_fields: inputFieldsOf(workflow).map((field) => markUntrusted(field)),
  };
}

/**
 * A subscription as a model reads it, lean because every listing repeats its schema: no
 * `ingress_path` (`ingress_url` holds it), no PAT hint (`automation_pat_id` names the key),
 * no timestamps.
 */
export const SubscriptionView = Subscription.omit({
  ingress_path: true,
  automation_pat_hint: true,
  created_at: true,
  updated_at: true,
});
export type SubscriptionView = z.infer<typeof SubscriptionView>;

/** A subscription with the text people and senders control cleaned and marked for a model to read. */
export function subscriptionView(subscription: Subscription): SubscriptionView {
  const {
    ingress_path: _path,
    automation_pat_hint: _hint,
    created_at: _created,
    updated_at: _updated,
    ...rest
  } = subscription;
  return {
    ...rest,
    name: markUntrusted(subscription.name),
    extras: {
      use_run_setup_defaults: subscription.extras.use_run_setup_defaults,
      trigger_payload: markJson(subscription.extras.trigger_payload) as Record<string, unknown>,
    },
  };
}

export const ApiKeyView = ApiKey.omit({ created_at: true });
export type ApiKeyView = z.infer<typeof ApiKeyView>;

export function apiKeyView(key: ApiKey): ApiKeyView {
  return { id: key.id, name: markUntrusted(key.name), hint: key.hint, in_vault: key.in_vault };
}
