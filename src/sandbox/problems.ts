import type { ErrorCode } from "../contract/schemas.js";

/**
 * An answer the sandbox gives on purpose: a status, a stable code and one sentence a
 * person can act on. Anything else thrown while handling a request is a bug (500).
 */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ApiProblem";
  }
}

export const problems = {
  unauthenticated: () =>
    new ApiProblem(
      401,
      "unauthenticated",
      "Send a valid user token as 'Authorization: Bearer <token>'; the sandbox prints its tokens at start-up.",
    ),
  forbidden: () =>
    new ApiProblem(
      403,
      "forbidden",
      "This needs the project_contributor role; your token only has project_viewer. Use a contributor token.",
    ),
  disabled: () =>
    new ApiProblem(
      404,
      "inbound_webhooks_disabled",
      "Inbound webhooks are disabled on this deployment (the inbound_webhooks switch is off); ask your operator to turn inbound_webhooks on.",
    ),
  subscriptionNotFound: () =>
    new ApiProblem(
      404,
      "subscription_not_found",
      "No inbound webhook with this id exists in your project; list them with GET /v1/inbound-webhooks.",
    ),
  workflowNotFound: () =>
    new ApiProblem(
      404,
      "workflow_not_found",
      "No workflow with this workflow_id exists in your project; list them with GET /v1/workflows.",
    ),
  validation: (message: string) => new ApiProblem(400, "validation_failed", message),
  invalidJson: () =>
    new ApiProblem(400, "invalid_json", "The request body is not valid JSON; send a JSON object."),
  bom: () =>
    new ApiProblem(
      400,
      "invalid_json",
      "The body starts with a UTF-8 byte order mark; send the JSON without it (UTF-8, no BOM).",
    ),
  tooDeep: (maxDepth: number) =>
    new ApiProblem(
      400,
      "json_too_deep",
      `The JSON nests deeper than ${maxDepth} levels; send a flatter object.`,
    ),
  // Nobody reads this answer; it names what happened in the log and the delivery record.
  clientClosed: () =>
    new ApiProblem(
      499,
      "client_closed_request",
      "The client closed the connection before the body ended; send the whole body again.",
    ),
  requestTimeout: () =>
    new ApiProblem(
      408,
      "request_timeout",
      "The request body did not arrive in time; send the whole body at once and promptly.",
    ),
  unsupportedMediaType: () =>
    new ApiProblem(
      415,
      "unsupported_media_type",
      "Send the body as 'Content-Type: application/json' without a Content-Encoding.",
    ),
  payloadTooLarge: (maxBytes: number) =>
    new ApiProblem(
      413,
      "payload_too_large",
      `The body is larger than ${maxBytes} bytes; send a smaller JSON object.`,
    ),
  storageUnavailable: () =>
    new ApiProblem(
      503,
      "storage_unavailable",
      "The sandbox cannot write to its database right now (the disk may be full); nothing was stored, so send the same request again later.",
      { "retry-after": "5" },
    ),
} as const;

// What SQLite answers when the disk or the database file cannot take a write; not bugs.
const STORAGE_CODES = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|PROTOCOL|NOLFS)/;

/** 503 `storage_unavailable` for an error of the storage itself, undefined for anything else. */
export function storageProblem(error: unknown): ApiProblem | undefined {
  if (error instanceof ApiProblem) return error.code === "storage_unavailable" ? error : undefined;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && STORAGE_CODES.test(code)
    ? problems.storageUnavailable()
    : undefined;
}
