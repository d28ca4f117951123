import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import {
  CreateSubscriptionRequest,
  type CreateSubscriptionResponse,
  DEFAULT_EXTRAS,
  DiagnoseRequest,
  Extras,
  PageQuery,
  RotateSecretRequest,
  type Subscription,
  TestDeliveryRequest,
  UpdateSubscriptionRequest,
} from "../contract/schemas.js";
import { inputFieldsOf, inputTypesOf, senderSample } from "../contract/workflow-input.js";
import { diagnoseSignature } from "../signing/doctor.js";
import { signBody } from "../signing/signature.js";
import type { Page, SandboxDatabase, User } from "./database.js";
import { bearerToken, describeIssues, readJsonBody, sendJson, sendNoContent } from "./http.js";
import { applyMergePatch } from "./merge-patch.js";
import { ApiProblem, problems } from "./problems.js";
import { hashToken, hintOf, newId, newToken, sameDigest } from "./secrets.js";

/** Management bodies are small; this bounds them independently of `--max-body`. */
const MAX_MANAGEMENT_BODY = 1024 * 1024;

export interface ManagementDeps {
  store: SandboxDatabase;
  now: () => Date;
}

export interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

export function authenticate(store: SandboxDatabase, req: IncomingMessage, write: boolean): User {
  const token = bearerToken(req);
  const user = token ? store.userByTokenHash(hashToken(token)) : undefined;
  if (!user) throw problems.unauthenticated();
  if (write && user.role !== "project_contributor") throw problems.forbidden();
  return user;
}

function queryOf<S extends z.ZodType>(url: URL, schema: S): z.infer<S> {
  const checked = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!checked.success) {
    throw new ApiProblem(400, "validation_failed", describeIssues(checked.error, "query"));
  }
  return checked.data;
}

const optionalId = (field: string) => z.uuid(`${field} must be a UUID`).optional();

const SubscriptionQuery = PageQuery.extend({ workflow_id: optionalId("workflow_id") });
const RunQuery = PageQuery.extend({
  workflow_id: optionalId("workflow_id"),
  subscription_id: optionalId("subscription_id"),
});

const Uuid = z.uuid();
const isUuid = (value: string) => Uuid.safeParse(value).success;

function pageAnswer<T>(name: string, page: Page<T>) {
  return { [name]: page.items, next_cursor: page.next_cursor };
}

/** Visible ASCII, at most 255 characters: what clients put in an `Idempotency-Key`. */
const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/);

function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const values = req.headersDistinct["idempotency-key"];
  if (!values) return undefined;
  if (values.length !== 1 || !IdempotencyKey.safeParse(values[0]).success) {
    throw problems.validation(
      "Idempotency-Key must be sent once, as 1 to 255 visible ASCII characters (a UUID works well).",
    );
  }
  return values[0];
}

/** Key order does not change a request's meaning, so the fingerprint sorts keys first. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
}

function subscriptionOr404(store: SandboxDatabase, user: User, id: string): Subscription {
  const subscription = isUuid(id) ? store.getSubscription(user.project_id, id) : undefined;
  if (!subscription) throw problems.subscriptionNotFound();
  return subscription;
}

/** Resolves which PAT a new subscription is tied to, following the contract's rules. */
function resolveAutomationPat(
  store: SandboxDatabase,
  user: User,
  body: CreateSubscriptionRequest,
): { id: string } {
  if (body.automation_pat_id === undefined && body.automation_bearer === undefined) {
    throw problems.validation(
      "Send automation_pat_id (an API key from GET /v1/api-keys), automation_bearer (a pasted pat_… token), or both.",
    );
  }
  const chosen =
    body.automation_pat_id === undefined
      ? undefined
      : store.apiKeyForCreate(user.project_id, { id: body.automation_pat_id });
  if (body.automation_pat_id !== undefined && !chosen) {
    throw new ApiProblem(
      404,
      "api_key_not_found",
      "No API key with this automation_pat_id exists in your project; list them with GET /v1/api-keys.",
    );
  }
  if (body.automation_bearer !== undefined) {
    const digest = hashToken(body.automation_bearer);
    const pasted = store.apiKeyForCreate(user.project_id, { tokenHash: digest });
    if (!pasted || (chosen && !sameDigest(chosen.token_hash, digest))) {
      throw new ApiProblem(
        422,
        "pat_mismatch",
        chosen
          ? "The pasted automation_bearer is not the secret of the chosen API key; paste that key's pat_… token, or choose the key it belongs to."
          : "The pasted automation_bearer is not a PAT of this project; paste a pat_… token listed under Settings → API keys.",
      );
    }
    return { id: pasted.id };
  }
  if (chosen && chosen.vault_secret === null) {
    throw new ApiProblem(
      422,
      "pat_secret_not_in_vault",
      "The secret of this API key is not in Vault; ask the person to paste the pat_… token once as automation_bearer.",
    );
  }
  // The vault copy must still be the key's secret; a drifted vault would break every ingress.
  if (
    chosen?.vault_secret &&
    !sameDigest(hashToken(store.open(chosen.vault_secret)), chosen.token_hash)
  ) {
    throw new ApiProblem(
      422,
      "pat_secret_not_in_vault",
      "The Vault copy of this API key's secret is stale; ask the person to paste the pat_… token once as automation_bearer.",
    );
  }
  return { id: (chosen as { id: string }).id };
}

export async function createSubscription(
  { req, res }: Request,
  deps: ManagementDeps,
): Promise<void> {
  const { store } = deps;
  const user = authenticate(store, req, true);
  const idempotencyKey = idempotencyKeyOf(req);
  const { body, raw } = await readJsonBody(
    req,
    res,
    CreateSubscriptionRequest,
    MAX_MANAGEMENT_BODY,
  );
  const now = deps.now();
  const requestHash = createHash("sha256").update(canonicalJson(raw)).digest("hex");

  const answer = store.transaction(() => {
    if (idempotencyKey !== undefined) {
      const earlier = store.idempotentAnswer(user.id, idempotencyKey, now);
      if (earlier) {
        if (earlier.request_hash !== requestHash) {
          throw new ApiProblem(
            409,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different body; use a new key for a new request.",
          );
        }
        return { replayed: true, response: earlier.response as CreateSubscriptionResponse };
      }
    }
    const workflow = store.getWorkflow(user.project_id, body.workflow_id);
    if (!workflow) throw problems.workflowNotFound();
    if (workflow.status === "draft") {
      throw new ApiProblem(
        409,
        "workflow_is_draft",
        "This workflow is a draft; save it in Workflow Studio first, since only saved workflows can subscribe.",
      );
    }
    if (store.nameTaken(workflow.id, body.name)) {
      throw new ApiProblem(
        409,
        "name_taken",
        "This workflow already has an inbound webhook with this name; choose another name.",
      );
    }
    const pat = resolveAutomationPat(store, user, body);
    const signingSecret = newToken("whsec_");
    const subscription = store.insertSubscription({
      id: newId(),
      project_id: user.project_id,
      workflow_id: workflow.id,
      name: body.name,
      automation_pat_id: pat.id,
      signing_secret: signingSecret,
      signing_secret_hint: hintOf(signingSecret),
      extras: { ...DEFAULT_EXTRAS, ...body.extras },
      now: now.toISOString(),
    });
    const response: CreateSubscriptionResponse = {
      ingress_url: subscription.ingress_url,
      ingress_path: subscription.ingress_path,
      signing_secret: signingSecret,
      subscription,
    };
    if (idempotencyKey !== undefined) {
      store.rememberAnswer(user.id, idempotencyKey, requestHash, response, now.toISOString());
    }
    return { replayed: false, response };
  });
  sendJson(res, 201, answer.response, {
    location: answer.response.ingress_path,
    ...(answer.replayed ? { "idempotent-replayed": "true" } : {}),
  });
}

export function listSubscriptions({ req, res, url }: Request, deps: ManagementDeps): void {
  const user = authenticate(deps.store, req, false);
  const query = queryOf(url, SubscriptionQuery);
  const page = deps.store.listSubscriptions(
    user.project_id,
    { workflowId: query.workflow_id },
    query.limit,
    query.cursor,
  );
  sendJson(res, 200, pageAnswer("subscriptions", page));
}

export function getSubscription({ req, res }: Request, deps: ManagementDeps, id: string): void {
  const user = authenticate(deps.store, req, false);
  sendJson(res, 200, { subscription: subscriptionOr404(deps.store, user, id) });
}

export async function updateSubscription(
  { req, res }: Request,
  deps: ManagementDeps,
  id: string,
): Promise<void> {
  const { store } = deps;
  const user = authenticate(store, req, true);
  const { body } = await readJsonBody(req, res, UpdateSubscriptionRequest, MAX_MANAGEMENT_BODY);
  const updated = store.transaction(() => {
    const current = subscriptionOr404(store, user, id);
    const name = body.name ?? current.name;
    if (body.name !== undefined && store.nameTaken(current.workflow_id, name, current.id)) {
      throw new ApiProblem(
        409,
        "name_taken",
        "This workflow already has an inbound webhook with this name; choose another name.",
      );
    }
    let extras = current.extras;
    if (body.extras !== undefined) {
      const merged = applyMergePatch(current.extras, body.extras) as Record<string, unknown>;
      const checked = Extras.safeParse({ ...DEFAULT_EXTRAS, ...merged });
      if (!checked.success) {
        throw problems.validation(describeIssues(checked.error, "extras after the merge patch"));
      }
      extras = checked.data;
    }
    return store.updateSubscription(user.project_id, current.id, {
      name,
      extras,
      enabled: body.enabled ?? current.enabled,
      now: deps.now().toISOString(),
    });
  });
  sendJson(res, 200, { subscription: updated });
}

export async function rotateSecret(
  { req, res }: Request,
  deps: ManagementDeps,
  id: string,
): Promise<void> {
  const { store } = deps;
  const user = authenticate(store, req, true);
  const { body } = await readJsonBody(req, res, RotateSecretRequest, MAX_MANAGEMENT_BODY);
  const now = deps.now();
  const answer = store.transaction(() => {
    const current = subscriptionOr404(store, user, id);
    if (current.previous_secret_expires_at !== null && !body.force) {
      throw new ApiProblem(
        409,
        "rotation_in_progress",
        `An earlier rotation's overlap runs until ${current.previous_secret_expires_at}; rotating again now would cut off senders still on the old secret. Wait, or send force: true.`,
      );
    }
    const secret = newToken("whsec_");
    const previousExpiresAt =
      body.previous_secret_ttl_seconds > 0
        ? new Date(now.getTime() + body.previous_secret_ttl_seconds * 1000).toISOString()
        : null;
    const subscription = store.rotateSecret(user.project_id, current.id, {
      secret,
      previousExpiresAt,
      now: now.toISOString(),
    });
    return { signing_secret: secret, previous_secret_expires_at: previousExpiresAt, subscription };
  });
  sendJson(res, 200, answer);
}

export async function diagnose(
  { req, res }: Request,
  deps: ManagementDeps,
  id: string,
): Promise<void> {
  const { store } = deps;
  const user = authenticate(store, req, false);
  const { body } = await readJsonBody(req, res, DiagnoseRequest, MAX_MANAGEMENT_BODY + 64 * 1024);
  const subscription = subscriptionOr404(store, user, id);
  const target = store.ingressTarget(subscription.id);
  if (!target) throw problems.subscriptionNotFound();
  const previous =
    target.previous && target.previous.expiresAt > deps.now().getTime()
      ? target.previous.secret
      : undefined;
  sendJson(
    res,
    200,
    diagnoseSignature(body.body, body.signature, {
      current: target.signing_secret,
      previous,
      retired: store.retiredSecrets(subscription.id),
    }),
  );
}

/**
 * Sends a test request through the real ingress path: signed with the stored secret and
 * carrying the PAT from the vault, so it proves the whole chain a sender relies on.
 */
export async function sendTest(
  { req, res }: Request,
  deps: ManagementDeps & { selfUrl: () => string },
  id: string,
): Promise<void> {
  const { store } = deps;
  const user = authenticate(store, req, true);
  const { body } = await readJsonBody(req, res, TestDeliveryRequest, MAX_MANAGEMENT_BODY);
  const subscription = subscriptionOr404(store, user, id);
  const target = store.ingressTarget(subscription.id);
  const key = store.apiKeyForCreate(user.project_id, { id: subscription.automation_pat_id });
  if (!target || !key) throw problems.subscriptionNotFound();
  if (key.vault_secret === null) {
    throw new ApiProblem(
      422,
      "pat_secret_not_in_vault",
      "This webhook's API key is not in Vault, so AgentRuntime cannot sign a test as the sender; send one yourself with the curl test.",
    );
  }
  const payload = JSON.stringify(
    body.payload ??
      senderSample(
        inputFieldsOf(target.workflow),
        Object.keys(target.workflow.run_setup_defaults),
        subscription.extras,
        inputTypesOf(target.workflow),
      ),
  );
  const response = await fetch(`${deps.selfUrl()}${subscription.ingress_path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${store.open(key.vault_secret)}`,
      "x-agentruntime-signature": signBody(payload, target.signing_secret),
      "user-agent": "agentruntime-test-delivery",
    },
    body: payload,
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  const delivery = store.getDelivery(response.headers.get("x-delivery-id") ?? "");
  if (!delivery) throw new Error("the test request left no delivery");
  const run = delivery.run_id ? (store.getRun(user.project_id, delivery.run_id) ?? null) : null;
  sendJson(res, 200, { delivery, run });
}

export function deleteSubscription({ req, res }: Request, deps: ManagementDeps, id: string): void {
  const user = authenticate(deps.store, req, true);
  if (!isUuid(id) || !deps.store.deleteSubscription(user.project_id, id)) {
    throw problems.subscriptionNotFound();
  }
  sendNoContent(res);
}

export function listDeliveries({ req, res, url }: Request, deps: ManagementDeps, id: string): void {
  const user = authenticate(deps.store, req, false);
  const subscription = subscriptionOr404(deps.store, user, id);
  const query = queryOf(url, PageQuery);
  sendJson(
    res,
    200,
    pageAnswer("deliveries", deps.store.listDeliveries(subscription.id, query.limit, query.cursor)),
  );
}

export function listWorkflows({ req, res, url }: Request, deps: ManagementDeps): void {
  const user = authenticate(deps.store, req, false);
  const query = queryOf(url, PageQuery);
  sendJson(
    res,
    200,
    pageAnswer("workflows", deps.store.listWorkflows(user.project_id, query.limit, query.cursor)),
  );
}

export function getWorkflow({ req, res }: Request, deps: ManagementDeps, id: string): void {
  const user = authenticate(deps.store, req, false);
  const workflow = isUuid(id) ? deps.store.getWorkflow(user.project_id, id) : undefined;
  if (!workflow) throw problems.workflowNotFound();
  sendJson(res, 200, { workflow });
}

export function listApiKeys({ req, res, url }: Request, deps: ManagementDeps): void {
  const user = authenticate(deps.store, req, false);
  const query = queryOf(url, PageQuery);
  sendJson(
    res,
    200,
    pageAnswer("api_keys", deps.store.listApiKeys(user.project_id, query.limit, query.cursor)),
  );
}

export function listRuns({ req, res, url }: Request, deps: ManagementDeps): void {
  const user = authenticate(deps.store, req, false);
  const query = queryOf(url, RunQuery);
  const page = deps.store.listRuns(
    user.project_id,
    { subscriptionId: query.subscription_id, workflowId: query.workflow_id },
    query.limit,
    query.cursor,
  );
  sendJson(res, 200, pageAnswer("runs", page));
}

export function getRun({ req, res }: Request, deps: ManagementDeps, id: string): void {
  const user = authenticate(deps.store, req, false);
  const run = isUuid(id) ? deps.store.getRun(user.project_id, id) : undefined;
  if (!run) {
    throw new ApiProblem(
      404,
      "run_not_found",
      "No run with this id exists in your project; list runs with GET /v1/runs.",
    );
  }
  sendJson(res, 200, { run });
}
