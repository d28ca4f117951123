import { z } from "zod";
import {
  ApiKey,
  InputType,
  Subscription,
  SubscriptionName,
  Workflow,
} from "../contract/schemas.js";
import type { DeliveryReport } from "../handoff/delivery-fixes.js";

/** A workflow as the wizard offers it. */
export const WorkflowChoice = Workflow.pick({ id: true, name: true, status: true }).extend({
  input_fields: z.array(z.string()),
  /** The declared types of those fields (optional: setups stored before types were declared). */
  input_types: z.record(z.string(), InputType).optional(),
  /** Fields the workflow's saved run setup defaults fill in. */
  default_fields: z.array(z.string()),
});
export type WorkflowChoice = z.infer<typeof WorkflowChoice>;

/** An API key (PAT) as the wizard offers it: never its secret. */
export const ApiKeyChoice = ApiKey.pick({ id: true, name: true, hint: true, in_vault: true });
export type ApiKeyChoice = z.infer<typeof ApiKeyChoice>;

/** A value a fixed input field may hold. */
export const Scalar = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof Scalar>;

/** The extras the wizard asks for: stricter than the contract's, since a person types them. */
export const ExtrasAnswer = z.strictObject({
  use_run_setup_defaults: z.boolean(),
  trigger_payload: z.record(z.string().min(1).max(64), Scalar),
});
export type WizardExtras = z.infer<typeof ExtrasAnswer>;

/** What the wizard keeps of a created subscription: ids, URL and hints, never the secret. */
export const CreatedSubscription = Subscription.pick({
  id: true,
  name: true,
  workflow_id: true,
  ingress_url: true,
  signing_secret_hint: true,
  automation_pat_hint: true,
});
export type CreatedSubscription = z.infer<typeof CreatedSubscription>;

/** Where the person sees the signing secret once: a one-time page, or this terminal. */
export const RevealHandle = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("page"), url: z.string(), expires_at: z.string() }),
  z.object({ kind: z.literal("local") }),
]);
export type RevealHandle = z.infer<typeof RevealHandle>;

/** What happened to a test request: the person's own, or one AgentRuntime signed. */
export type TestReport = DeliveryReport;

/** A failure to show the person: a stable code and a sentence. */
export const WizardProblem = z.object({ code: z.string(), message: z.string() });
export type WizardProblem = z.infer<typeof WizardProblem>;

/** Errors the wizard's actors throw so the machine can route on `code`. */
export class WizardActorError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "WizardActorError";
  }
}

export { SubscriptionName };
