import { z } from "zod";
import type { Delivery, Run } from "../contract/schemas.js";
import { markJson, markUntrusted } from "../untrusted/mark.js";

/** What a sender does about each ingress rejection, in one sentence. */
export const REJECTION_FIXES: Readonly<Record<string, string>> = {
  method_not_allowed: "Send the request with POST.",
  payload_too_large: "Send a smaller JSON body (at most 1 MiB by default).",
  unsupported_media_type: "Send Content-Type: application/json and no Content-Encoding.",
  not_found: "Check the ingress URL: this webhook does not exist (it may have been deleted).",
  invalid_automation_token: "Send the webhook's automation PAT as Authorization: Bearer pat_….",
  invalid_signature:
    "Sign the exact bytes sent with the signing secret (sha256=<lowercase hex HMAC-SHA256>): other spacing, a re-serialized body or a trailing newline do not verify.",
  invalid_json: "Send a valid UTF-8 JSON body, without a byte order mark.",
  json_too_deep: "Send a flatter JSON object (at most 64 levels of nesting).",
  request_timeout: "Send the whole body promptly: it must arrive within 10 seconds.",
  client_closed_request: "The sender hung up before the body ended; send the request again.",
  payload_not_object:
    'Send a JSON object, like {"order_id": "1001"}, not an array or a single value.',
  subscription_paused: "The webhook is paused: resume it, then send again.",
};

/** The tool a model calls about a rejection; a person's fix names none. */
const MODEL_NEXT_STEPS: Readonly<Record<string, string>> = {
  invalid_signature: " diagnose_inbound_webhook_signature tells what differs.",
  subscription_paused: " Resume it with update_inbound_webhook (enabled: true).",
};

/** Who reads a fix: a person (terminal, card) or a model (tool results), which is also told what to call. */
type FixReader = "person" | "model";

export function fixFor(reason: string | null, reader: FixReader): string | null {
  if (reason === null) return null;
  const fix = REJECTION_FIXES[reason] ?? "Read the error message in the answer the sender got.";
  return reader === "model" ? fix + (MODEL_NEXT_STEPS[reason] ?? "") : fix;
}

/** A run as a model reads it: input, step outputs and error cleaned and marked, since a sender wrote them. */
export const RunSummary = z.object({
  id: z.string(),
  status: z.string(),
  input: z.record(z.string(), z.unknown()),
  steps: z.array(z.string()),
  error: z.string().nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** Summarizes a run for a model, cleaning and marking what its sender wrote. */
export function runSummary(run: Run): RunSummary {
  return {
    id: run.id,
    status: run.status,
    input: markJson(run.input) as Record<string, unknown>,
    steps: run.steps.map((step) => markUntrusted(`${step.name}: ${step.output}`, 400)),
    error: run.error === null ? null : markUntrusted(run.error, 400),
  };
}

/** What happened to one request: accepted with its run, rejected with a fix, or none in time. */
export const DeliveryReport = z.object({
  timed_out: z.boolean(),
  delivery_id: z.string().nullable(),
  accepted: z.boolean().nullable(),
  status: z.number().nullable(),
  reason: z.string().nullable(),
  fix: z.string().nullable(),
  run: RunSummary.nullable(),
});
export type DeliveryReport = z.infer<typeof DeliveryReport>;

/** The report of a delivery and its run; `null` means nothing arrived in time. */
export function deliveryReport(
  delivery: Delivery | null,
  run: Run | null,
  reader: FixReader,
): DeliveryReport {
  if (!delivery) {
    return {
      timed_out: true,
      delivery_id: null,
      accepted: null,
      status: null,
      reason: null,
      fix: null,
      run: null,
    };
  }
  return {
    timed_out: false,
    delivery_id: delivery.id,
    accepted: delivery.outcome === "accepted",
    status: delivery.status,
    reason: delivery.reason,
    fix: fixFor(delivery.reason, reader),
    run: run ? runSummary(run) : null,
  };
}
