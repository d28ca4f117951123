import { z } from "zod";
import { SubscriptionName } from "../contract/schemas.js";
import type { DeliveryReport } from "../text/delivery-fixes.js";

/** A workflow as the wizard offers it. */
export interface WorkflowChoice {
  id: string;
  name: string;
  status: "saved" | "draft";
  input_fields: string[];
  /** Fields the workflow's saved run setup defaults fill in. */
  default_fields: string[];
}

/** An API key (PAT) as the wizard offers it: never its secret. */
export interface ApiKeyChoice {
  id: string;
  name: string;
  hint: string;
  in_vault: boolean;
}

export type Scalar = string | number | boolean | null;

export interface WizardExtras {
  use_run_setup_defaults: boolean;
  trigger_payload: Record<string, Scalar>;
}

/** What the wizard keeps of a created subscription: ids, URL and hints, never the secret. */
export interface CreatedSubscription {
  id: string;
  name: string;
  workflow_id: string;
  ingress_url: string;
  signing_secret_hint: string;
  automation_pat_hint: string;
}

/** Where the person sees the signing secret once: a one-time page, or this terminal. */
export type RevealHandle = { kind: "page"; url: string; expires_at: string } | { kind: "local" };

/** What happened to a test request: the person's own, or one AgentRuntime signed. */
export type TestReport = DeliveryReport;

/** A failure to show the person: a stable code and a sentence. */
export interface WizardProblem {
  code: string;
  message: string;
}

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

export const ExtrasAnswer = z.strictObject({
  use_run_setup_defaults: z.boolean(),
  trigger_payload: z.record(
    z.string().min(1).max(64),
    z.union([z.string().max(500), z.number(), z.boolean(), z.null()]),
  ),
});

export { SubscriptionName };
