/** What a sender does about each ingress rejection, in one sentence. */
export const REJECTION_FIXES: Readonly<Record<string, string>> = {
  method_not_allowed: "Send the request with POST.",
  payload_too_large: "Send a smaller JSON body (at most 1 MiB by default).",
  unsupported_media_type: "Send Content-Type: application/json and no Content-Encoding.",
  not_found: "Check the ingress URL: this webhook does not exist (it may have been deleted).",
  invalid_automation_token: "Send the webhook's automation PAT as Authorization: Bearer pat_….",
  invalid_signature:
    "Sign the exact bytes sent with the signing secret (sha256=<lowercase hex HMAC-SHA256>); diagnose_inbound_webhook_signature tells what differs.",
  invalid_json: "Send a valid UTF-8 JSON body.",
  payload_not_object:
    'Send a JSON object, like {"order_id": "1001"}, not an array or a single value.',
  subscription_paused:
    "The webhook is paused: resume it (update_inbound_webhook with enabled: true), then send again.",
};

export function fixFor(reason: string | null): string | null {
  return reason === null
    ? null
    : (REJECTION_FIXES[reason] ?? "Read the error message in the answer the sender got.");
}
