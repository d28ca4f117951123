import { z } from "zod";

/**
 * The AgentRuntime inbound-webhook contract, written once. Every object the sandbox
 * stores and answers, every request it accepts, and every answer the client parses is
 * one of these schemas; their TypeScript types are `z.infer` of them.
 */

export const MAX_NAME_LENGTH = 64;
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;
/** Serialized size cap for `extras.trigger_payload`, so a subscription row stays small. */
export const MAX_TRIGGER_PAYLOAD_BYTES = 16 * 1024;

const isoTimestamp = z.iso.datetime();
const id = z.uuid();
const jsonObject = z.record(z.string(), z.unknown());

// Unicode control characters (C0, DEL, C1) are refused in names: they hide text in logs and UIs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** A subscription label: 1–64 characters after trimming, no control characters. */
export const SubscriptionName = z
  .string()
  .trim()
  .min(1, "name must not be empty")
  .max(MAX_NAME_LENGTH, `name must be at most ${MAX_NAME_LENGTH} characters`)
  .refine((value) => !CONTROL_CHARACTERS.test(value), "name must not contain control characters");

export const TriggerPayload = jsonObject.refine(
  (value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_TRIGGER_PAYLOAD_BYTES,
  `trigger_payload must serialize to at most ${MAX_TRIGGER_PAYLOAD_BYTES} bytes`,
);

/** A JSON value without nesting, which any model can fill in. */
export const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof Scalar>;

/** A flat JSON object: a fixed trigger_payload or a test body as tools take them, a card's fields. */
export const ScalarRecord = z.record(z.string(), Scalar);
export type ScalarRecord = z.infer<typeof ScalarRecord>;

/** Subscription extras (seed): both fields always present in answers. */
export const Extras = z.strictObject({
  use_run_setup_defaults: z.boolean(),
  trigger_payload: TriggerPayload,
});
export type Extras = z.infer<typeof Extras>;

/** Extras as a caller may send them on create: every field optional. */
export const ExtrasInput = z.strictObject({
  use_run_setup_defaults: z.boolean().optional(),
  trigger_payload: TriggerPayload.optional(),
});
export type ExtrasInput = z.infer<typeof ExtrasInput>;

export const DEFAULT_EXTRAS: Extras = { use_run_setup_defaults: false, trigger_payload: {} };

export const Subscription = z.object({
  id,
  workflow_id: id,
  name: z.string(),
  ingress_path: z.string(),
  ingress_url: z.string(),
  automation_pat_id: id,
  automation_pat_hint: z.string(),
  signing_secret_hint: z.string(),
  extras: Extras,
  /** Ours: a paused subscription's ingress answers 503 and starts no run. */
  enabled: z.boolean(),
  /** Ours: while set and in the future, the secret before the last rotation still verifies. */
  previous_secret_expires_at: isoTimestamp.nullable(),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
});
export type Subscription = z.infer<typeof Subscription>;

/** The type a workflow declares for an input field; a dotted path makes its parents objects. */
export const InputType = z.enum(["string", "integer", "number", "boolean", "email", "url"]);
export type InputType = z.infer<typeof InputType>;

/**
 * A step of a workflow; `template` reads the run input through `{{input.field}}`, and
 * `input_types` declares the types of the fields it reads (a field not listed is a string).
 */
export const WorkflowStep = z.object({
  name: z.string(),
  template: z.string(),
  required_input: z.array(z.string()),
  input_types: z.record(z.string(), InputType).optional(),
});
export type WorkflowStep = z.infer<typeof WorkflowStep>;

export const WorkflowStatus = z.enum(["saved", "draft"]);

export const Workflow = z.object({
  id,
  name: z.string(),
  status: WorkflowStatus,
  run_setup_defaults: jsonObject,
  steps: z.array(WorkflowStep),
});
export type Workflow = z.infer<typeof Workflow>;

export const ApiKey = z.object({
  id,
  name: z.string(),
  hint: z.string(),
  in_vault: z.boolean(),
  created_at: isoTimestamp,
});
export type ApiKey = z.infer<typeof ApiKey>;

/** What one step of a run read from its input and produced. */
export const RunStepResult = z.object({
  name: z.string(),
  template: z.string(),
  received: jsonObject,
  output: z.string(),
});
export type RunStepResult = z.infer<typeof RunStepResult>;

export const RunStatus = z.enum(["succeeded", "failed"]);

export const Run = z.object({
  id,
  workflow_id: id,
  subscription_id: id,
  status: RunStatus,
  start_params: z.object({
    webhook_payload: jsonObject,
    trigger_payload: jsonObject,
  }),
  input: jsonObject,
  steps: z.array(RunStepResult),
  error: z.string().nullable(),
  created_at: isoTimestamp,
});
export type Run = z.infer<typeof Run>;

export const DeliveryOutcome = z.enum(["accepted", "rejected"]);

export const Delivery = z.object({
  id,
  subscription_id: z.string(),
  received_at: isoTimestamp,
  status: z.number().int(),
  outcome: DeliveryOutcome,
  reason: z.string().nullable(),
  run_id: id.nullable(),
  body_sha256: z.string().nullable(),
  body_bytes: z.number().int().nonnegative(),
});
export type Delivery = z.infer<typeof Delivery>;

/** Every error code an AgentRuntime answer can carry. */
export const ErrorCode = z.enum([
  "unauthenticated",
  "forbidden",
  "validation_failed",
  "invalid_json",
  "not_found",
  "subscription_not_found",
  "workflow_not_found",
  "api_key_not_found",
  "run_not_found",
  "workflow_is_draft",
  "name_taken",
  "pat_secret_not_in_vault",
  "pat_mismatch",
  "idempotency_key_reused",
  "inbound_webhooks_disabled",
  "method_not_allowed",
  "payload_too_large",
  "unsupported_media_type",
  "invalid_automation_token",
  "invalid_signature",
  "payload_not_object",
  "subscription_paused",
  "rotation_in_progress",
  "internal_error",
  "json_too_deep",
  "request_timeout",
  "client_closed_request",
  "storage_unavailable",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The envelope of every non-2xx answer. Codes stay open-ended so a newer server still parses. */
export const ErrorEnvelope = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

// ---- Requests ----

export const CreateSubscriptionRequest = z.strictObject({
  workflow_id: id,
  name: SubscriptionName,
  automation_pat_id: id.optional(),
  automation_bearer: z.string().min(1).optional(),
  extras: ExtrasInput.optional(),
});
export type CreateSubscriptionRequest = z.infer<typeof CreateSubscriptionRequest>;

/** PATCH body: `extras` is an RFC 7396 merge patch, validated after it is applied. */
export const UpdateSubscriptionRequest = z
  .strictObject({
    name: SubscriptionName.optional(),
    extras: z.record(z.string(), z.unknown()).optional(),
    enabled: z.boolean().optional(),
  })
  .refine(
    (body) => body.name !== undefined || body.extras !== undefined || body.enabled !== undefined,
    {
      message: "send at least one of name, extras and enabled",
    },
  );
export type UpdateSubscriptionRequest = z.infer<typeof UpdateSubscriptionRequest>;

/** `?limit=&cursor=` of every list. */
export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int("limit must be a whole number")
    .min(1, "limit must be at least 1")
    .max(MAX_PAGE_LIMIT, `limit must be at most ${MAX_PAGE_LIMIT}`)
    .default(DEFAULT_PAGE_LIMIT),
  cursor: z.string().min(1).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

// ---- Answers ----

export const CreateSubscriptionResponse = z.object({
  ingress_url: z.string(),
  ingress_path: z.string(),
  signing_secret: z.string(),
  subscription: Subscription,
});
export type CreateSubscriptionResponse = z.infer<typeof CreateSubscriptionResponse>;

const nextCursor = z.string().nullable();

export const SubscriptionAnswer = z.object({ subscription: Subscription });
export const WorkflowAnswer = z.object({ workflow: Workflow });
export const RunAnswer = z.object({ run: Run });
export const SubscriptionPage = z.object({
  subscriptions: z.array(Subscription),
  next_cursor: nextCursor,
});
export const WorkflowPage = z.object({ workflows: z.array(Workflow), next_cursor: nextCursor });
export const ApiKeyPage = z.object({ api_keys: z.array(ApiKey), next_cursor: nextCursor });
export const RunPage = z.object({ runs: z.array(Run), next_cursor: nextCursor });
export const DeliveryPage = z.object({ deliveries: z.array(Delivery), next_cursor: nextCursor });

/** Longest overlap a rotation may keep the previous secret for: seven days. */
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 24 * 3600;

export const RotateSecretRequest = z.strictObject({
  previous_secret_ttl_seconds: z
    .number()
    .int("previous_secret_ttl_seconds must be a whole number of seconds")
    .min(0, "previous_secret_ttl_seconds must be 0 or more")
    .max(
      MAX_SECRET_OVERLAP_SECONDS,
      `previous_secret_ttl_seconds must be at most ${MAX_SECRET_OVERLAP_SECONDS}`,
    ),
  force: z.boolean().optional(),
});
export type RotateSecretRequest = z.infer<typeof RotateSecretRequest>;

export const RotateSecretResponse = z.object({
  signing_secret: z.string(),
  previous_secret_expires_at: isoTimestamp.nullable(),
  subscription: Subscription,
});
export type RotateSecretResponse = z.infer<typeof RotateSecretResponse>;

export const TestDeliveryRequest = z.strictObject({
  /** The body to send; without it, a sample built from the fields the workflow reads. */
  payload: z.record(z.string(), z.unknown()).optional(),
});
export type TestDeliveryRequest = z.infer<typeof TestDeliveryRequest>;

export const TestDeliveryResponse = z.object({
  delivery: Delivery,
  run: Run.nullable(),
});
export type TestDeliveryResponse = z.infer<typeof TestDeliveryResponse>;

/** What went wrong with a signature, as far as the sandbox can tell without revealing it. */
export const SignatureDiagnosis = z.enum([
  "valid",
  "valid_previous_secret",
  "missing",
  "wrong_prefix_or_case",
  "malformed",
  "trailing_newline",
  "reserialized_json",
  "encoding",
  "rotated_out_secret",
  "other_secret_or_body",
]);
export type SignatureDiagnosis = z.infer<typeof SignatureDiagnosis>;

export const DiagnoseRequest = z.strictObject({
  /** The raw body exactly as the sender sent it. */
  body: z.string().max(1024 * 1024),
  /** The X-Agentruntime-Signature value the sender sent ("" when none). */
  signature: z.string().max(1000),
});
export type DiagnoseRequest = z.infer<typeof DiagnoseRequest>;

export const DiagnoseResponse = z.object({
  category: SignatureDiagnosis,
  explanation: z.string(),
  fix: z.string(),
});
export type DiagnoseResponse = z.infer<typeof DiagnoseResponse>;

export const IngressAccepted = z.object({ run_id: id, delivery_id: id });
export type IngressAccepted = z.infer<typeof IngressAccepted>;
