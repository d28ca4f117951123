import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { type SignatureHeaderProblem, verifySignature } from "../signing/signature.js";
import type { IngressTarget, SandboxDatabase } from "./database.js";
import {
  bearerToken,
  closeAfterAnswer,
  isJsonRequest,
  jsonHazard,
  MAX_JSON_DEPTH,
  parseJson,
  readBody,
  sendProblem,
  startsWithBom,
} from "./http.js";
import { timeOrderedId } from "./ingress-rows.js";
import type { IngressWriter } from "./ingress-writer.js";
import { ApiProblem, problems, storageProblem } from "./problems.js";
import { runOutcome, triggerOverlay } from "./runs.js";
import { hashToken, sameDigest } from "./secrets.js";
import type { UnmatchedIngressTally } from "./unmatched.js";

const SIGNATURE_MESSAGES: Record<SignatureHeaderProblem | "mismatch", string> = {
  missing:
    "Send X-Agentruntime-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the signing secret>.",
  duplicated: "Send the X-Agentruntime-Signature header exactly once.",
  malformed: "X-Agentruntime-Signature must be 'sha256=' followed by 64 lowercase hex characters.",
  mismatch:
    "The signature does not match the body: sign the exact bytes you send with the signing secret shown when the webhook was created.",
};

const Uuid = z.uuid();
const isUuid = (value: string) => Uuid.safeParse(value).success;

/** What ingress needs from the sandbox around it. */
export interface IngressDeps {
  store: SandboxDatabase;
  writes: IngressWriter;
  unmatched: UnmatchedIngressTally;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  now: () => Date;
}

/** One attempt as it is recorded, whatever its answer. */
interface Attempt {
  subscriptionId: string;
  target: IngressTarget | undefined;
  receivedAt: string;
  body: Buffer | undefined;
  bodyBytes: number;
}

/** A body that passed every check: the JSON object that starts the run, and its text. */
interface AcceptedBody {
  payload: Record<string, unknown>;
  text: string;
}

/**
 * Public ingress, `POST /v1/inbound-webhooks/{id}`: the contract's checks in the
 * contract's order, every attempt recorded as a delivery, and a run started when all hold.
 */
export async function handleIngress(
  req: IncomingMessage,
  res: ServerResponse,
  subscriptionId: string,
  deps: IngressDeps,
): Promise<number> {
  const attempt: Attempt = {
    subscriptionId,
    receivedAt: deps.now().toISOString(),
    body: undefined,
    bodyBytes: Number(req.headers["content-length"] ?? 0) || 0,
    // Known before any check, so attempts on no subscription are only counted, never stored.
    target: isUuid(subscriptionId) ? deps.store.ingressTarget(subscriptionId) : undefined,
  };

  if (req.method !== "POST") {
    closeAfterAnswer(req, res);
    return reject(
      res,
      deps,
      attempt,
      new ApiProblem(
        405,
        "method_not_allowed",
        "Ingress accepts only POST: send the JSON body with POST to this URL.",
        { allow: "POST" },
      ),
    );
  }

  const read = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
  attempt.bodyBytes = read.size;
  if (read.aborted) return reject(res, deps, attempt, problems.clientClosed());
  if (read.timedOut || read.tooLarge) {
    closeAfterAnswer(req, res);
    const problem = read.timedOut
      ? problems.requestTimeout()
      : problems.payloadTooLarge(deps.maxBodyBytes);
    return reject(res, deps, attempt, problem);
  }
  attempt.body = read.bytes;

  const checked = checkDelivery(req, attempt.target, read.bytes, deps.now());
  if (checked instanceof ApiProblem) return reject(res, deps, attempt, checked);
  return accept(res, deps, attempt, checked);
}

/** Records a refused attempt (or only counts it, when it names no webhook) and answers it. */
async function reject(
  res: ServerResponse,
  deps: IngressDeps,
  attempt: Attempt,
  problem: ApiProblem,
): Promise<number> {
  if (!attempt.target) {
    deps.unmatched.add(attempt.receivedAt, problem.status, problem.code);
    sendProblem(res, problem);
    return problem.status;
  }
  const deliveryId = timeOrderedId();
  // Every answer names its delivery, so a sender (or support) can find the attempt.
  res.setHeader("x-delivery-id", deliveryId);
  const recorded = deps.writes.write({
    run: null,
    delivery: {
      id: deliveryId,
      subscription_id: attempt.subscriptionId,
      received_at: attempt.receivedAt,
      status: problem.status,
      outcome: "rejected",
      reason: problem.code,
      run_id: null,
      // A refused body is not stored, so its digest is the only trace of what was sent.
      body_sha256: attempt.body ? createHash("sha256").update(attempt.body).digest("hex") : null,
      body_bytes: attempt.bodyBytes,
    },
  });
  // The refusal is the answer even when storage cannot take its record: a retry would not help.
  await recorded.catch((error: unknown) => {
    if (!storageProblem(error)) throw error;
    res.removeHeader("x-delivery-id");
  });
  sendProblem(res, problem);
  return problem.status;
}

/** The checks after the body is read, in the contract's order: the first that fails is the answer. */
function checkDelivery(
  req: IncomingMessage,
  target: IngressTarget | undefined,
  bytes: Buffer,
  now: Date,
): ApiProblem | (AcceptedBody & { target: IngressTarget }) {
  if (!isJsonRequest(req)) return problems.unsupportedMediaType();
  if (!target) {
    return new ApiProblem(
      404,
      "not_found",
      "No inbound webhook exists at this URL (it may have been deleted); check the ingress URL.",
    );
  }
  if (!target.subscription.enabled) {
    return new ApiProblem(
      503,
      "subscription_paused",
      "This inbound webhook is paused, so it starts no runs; send again after it is resumed.",
      { "retry-after": "60" },
    );
  }
  const token = bearerToken(req);
  const bearer = token?.startsWith("pat_") ? token : undefined;
  if (!bearer || !isAutomationPat(target, bearer)) {
    return new ApiProblem(
      401,
      "invalid_automation_token",
      bearer
        ? "The bearer token is not the automation PAT tied to this webhook; send that PAT as 'Authorization: Bearer pat_…'."
        : "Send the automation PAT tied to this webhook as 'Authorization: Bearer pat_…'.",
    );
  }
  // During a rotation's overlap the previous secret verifies too.
  const secrets =
    target.previous && target.previous.expiresAt > now.getTime()
      ? [target.signing_secret, target.previous.secret]
      : [target.signing_secret];
  const signature = verifySignature(
    bytes,
    req.headersDistinct["x-agentruntime-signature"],
    secrets,
  );
  if (!signature.ok) {
    return new ApiProblem(401, "invalid_signature", SIGNATURE_MESSAGES[signature.problem]);
  }
  const body = parsePayload(bytes);
  return body instanceof ApiProblem ? body : { ...body, target };
}

/** The body as the JSON object a run starts from, or why it is not one. */
function parsePayload(bytes: Buffer): ApiProblem | AcceptedBody {
  const parsed = parseJson(bytes);
  if (!parsed) return startsWithBom(bytes) ? problems.bom() : problems.invalidJson();
  if (jsonHazard(parsed.value) === "too_deep") return problems.tooDeep(MAX_JSON_DEPTH);
  const payload = parsed.value;
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    return new ApiProblem(
      422,
      "payload_not_object",
      'The body must be a JSON object (for example {"order_id": "1001"}), not an array or a single value.',
    );
  }
  return { payload: payload as Record<string, unknown>, text: parsed.text };
}

/** Runs the workflow, records the run and its delivery in one durable write, and answers 202. */
async function accept(
  res: ServerResponse,
  deps: IngressDeps,
  attempt: Attempt,
  { target, ...body }: AcceptedBody & { target: IngressTarget },
): Promise<number> {
  const { workflow, subscription } = target;
  const outcome = runOutcome(workflow, triggerOverlay(workflow, subscription.extras), body.payload);
  // Steps are rendered when the run is read; only what decides its status is checked here.
  const run = {
    id: timeOrderedId(),
    project_id: target.project_id,
    workflow_id: workflow.id,
    subscription_id: subscription.id,
    ...outcome,
    created_at: attempt.receivedAt,
    payload: body.text,
    overlay: target.overlay,
  };
  const deliveryId = timeOrderedId();
  // Only a committed delivery is answered 202; a storage failure is a 503 to retry.
  await deps.writes.write({
    run,
    delivery: {
      id: deliveryId,
      subscription_id: attempt.subscriptionId,
      received_at: attempt.receivedAt,
      status: 202,
      outcome: "accepted",
      reason: null,
      run_id: run.id,
      body_sha256: null,
      body_bytes: attempt.bodyBytes,
    },
  });
  const answer = `{"run_id":"${run.id}","delivery_id":"${deliveryId}"}`;
  // Only what a sender reads: the answer's type and length, and the delivery to quote.
  res.writeHead(202, {
    "content-type": "application/json; charset=utf-8",
    "content-length": answer.length,
    "x-delivery-id": deliveryId,
  });
  res.end(answer);
  return 202;
}

/** The bearer's digest is compared once; the token that matched is kept to compare directly. */
function isAutomationPat(target: IngressTarget, bearer: string): boolean {
  const token = Buffer.from(bearer, "utf8");
  const known = target.acceptedBearer;
  if (known && known.length === token.length) return timingSafeEqual(known, token);
  if (!sameDigest(hashToken(bearer), target.pat_hash)) return false;
  target.acceptedBearer = token;
  return true;
}
