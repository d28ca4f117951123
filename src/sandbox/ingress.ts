import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { type SignatureHeaderProblem, verifySignature } from "../signing/signature.js";
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
import { runRecord, timeOrderedId } from "./ingress-rows.js";
import type { IngressWriter } from "./ingress-writer.js";
import { ApiProblem, problems } from "./problems.js";
import { executeRun } from "./runs.js";
import { hashToken, sameDigest } from "./secrets.js";
import type { IngressTarget, SandboxStore } from "./store.js";
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

/**
 * Public ingress, `POST /v1/inbound-webhooks/{id}`: the contract's checks in the
 * contract's order, every attempt recorded as a delivery, and a run started when all hold.
 */
export async function handleIngress(
  req: IncomingMessage,
  res: ServerResponse,
  subscriptionId: string,
  deps: {
    store: SandboxStore;
    writes: IngressWriter;
    unmatched: UnmatchedIngressTally;
    maxBodyBytes: number;
    bodyTimeoutMs: number;
    now: () => Date;
  },
): Promise<number> {
  const { store, writes } = deps;
  const receivedAt = deps.now().toISOString();
  let body: Buffer | undefined;
  let bodyBytes = Number(req.headers["content-length"] ?? 0) || 0;
  // Known before any check, so attempts on no subscription are only counted, never stored.
  const target = isUuid(subscriptionId) ? store.ingressTarget(subscriptionId) : undefined;

  const reject = async (problem: ApiProblem): Promise<number> => {
    if (!target) {
      deps.unmatched.add(receivedAt, problem.status, problem.code);
      sendProblem(res, problem);
      return problem.status;
    }
    const deliveryId = timeOrderedId();
    // Every answer names its delivery, so a sender (or support) can find the attempt.
    res.setHeader("x-delivery-id", deliveryId);
    await writes.write({
      run: null,
      delivery: {
        id: deliveryId,
        subscription_id: subscriptionId,
        received_at: receivedAt,
        status: problem.status,
        outcome: "rejected",
        reason: problem.code,
        run_id: null,
        // A refused body is not stored, so its digest is the only trace of what was sent.
        body_sha256: body ? createHash("sha256").update(body).digest("hex") : null,
        body_bytes: bodyBytes,
      },
    });
    sendProblem(res, problem);
    return problem.status;
  };

  if (req.method !== "POST") {
    closeAfterAnswer(req, res);
    return reject(
      new ApiProblem(
        405,
        "method_not_allowed",
        "Ingress accepts only POST: send the JSON body with POST to this URL.",
        { allow: "POST" },
      ),
    );
  }

  const read = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
  bodyBytes = read.size;
  if (read.aborted) return reject(problems.clientClosed());
  if (read.timedOut) {
    closeAfterAnswer(req, res);
    return reject(problems.requestTimeout());
  }
  if (read.tooLarge) {
    closeAfterAnswer(req, res);
    return reject(problems.payloadTooLarge(deps.maxBodyBytes));
  }
  body = read.bytes;

  if (!isJsonRequest(req)) return reject(problems.unsupportedMediaType());

  if (!target) {
    return reject(
      new ApiProblem(
        404,
        "not_found",
        "No inbound webhook exists at this URL (it may have been deleted); check the ingress URL.",
      ),
    );
  }

  if (!target.subscription.enabled) {
    return reject(
      new ApiProblem(
        503,
        "subscription_paused",
        "This inbound webhook is paused, so it starts no runs; send again after it is resumed.",
        { "retry-after": "60" },
      ),
    );
  }

  const token = bearerToken(req);
  const bearer = token?.startsWith("pat_") ? token : undefined;
  if (!bearer || !isAutomationPat(target, bearer)) {
    return reject(
      new ApiProblem(
        401,
        "invalid_automation_token",
        bearer
          ? "The bearer token is not the automation PAT tied to this webhook; send that PAT as 'Authorization: Bearer pat_…'."
          : "Send the automation PAT tied to this webhook as 'Authorization: Bearer pat_…'.",
      ),
    );
  }

  // During a rotation's overlap the previous secret verifies too.
  const secrets =
    target.previous && target.previous.expiresAt > deps.now().getTime()
      ? [target.signing_secret, target.previous.secret]
      : [target.signing_secret];
  const signature = verifySignature(
    read.bytes,
    req.headersDistinct["x-agentruntime-signature"],
    secrets,
  );
  if (!signature.ok) {
    return reject(new ApiProblem(401, "invalid_signature", SIGNATURE_MESSAGES[signature.problem]));
  }

  const parsed = parseJson(read.bytes);
  if (!parsed) {
    return reject(startsWithBom(read.bytes) ? problems.bom() : problems.invalidJson());
  }
  if (jsonHazard(parsed.value) === "too_deep") return reject(problems.tooDeep(MAX_JSON_DEPTH));
  const payload = parsed.value;
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    return reject(
      new ApiProblem(
        422,
        "payload_not_object",
        'The body must be a JSON object (for example {"order_id": "1001"}), not an array or a single value.',
      ),
    );
  }

  const run = executeRun(target.workflow, {
    id: timeOrderedId(),
    subscription_id: target.subscription.id,
    webhook_payload: payload as Record<string, unknown>,
    extras: target.subscription.extras,
    now: receivedAt,
  });
  const deliveryId = timeOrderedId();
  await writes.write({
    run: runRecord(target.project_id, run, parsed.text, target.overlay),
    delivery: {
      id: deliveryId,
      subscription_id: subscriptionId,
      received_at: receivedAt,
      status: 202,
      outcome: "accepted",
      reason: null,
      run_id: run.id,
      body_sha256: null,
      body_bytes: bodyBytes,
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
