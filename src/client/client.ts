import type { Dispatcher } from "undici";
import type { z } from "zod";
import {
  ApiKeyPage,
  CreateSubscriptionRequest,
  CreateSubscriptionResponse,
  DeliveryPage,
  type DiagnoseRequest,
  DiagnoseResponse,
  ErrorEnvelope,
  RotateSecretRequest,
  RotateSecretResponse,
  RunAnswer,
  RunPage,
  SubscriptionAnswer,
  SubscriptionPage,
  type TestDeliveryRequest,
  TestDeliveryResponse,
  type UpdateSubscriptionRequest,
  WorkflowAnswer,
  WorkflowPage,
} from "../contract/schemas.js";
import { ApiError, ConnectionError, InvalidResponseError, TimeoutError } from "./errors.js";

export interface ClientOptions {
  /** The AgentRuntime base URL, for example `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** A user token, sent as `Authorization: Bearer`; never logged or put in an error. */
  token: string;
  dispatcher?: Dispatcher;
  /** Deadline of one attempt (default 10 s). */
  timeoutMs?: number;
  /** Further attempts after a retryable failure (default 2). */
  maxRetries?: number;
  /** First backoff step; each retry doubles it, with jitter (default 200 ms). */
  retryBaseMs?: number;
  /** Longest wait a `Retry-After` may ask for before the client gives up instead (default 10 s). */
  maxRetryDelayMs?: number;
  userAgent?: string;
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

interface CallOptions<S extends z.ZodType> {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  schema?: S;
  /** Only reads and idempotent creates are retried; a plain create never is. */
  retry: boolean;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// undici is loaded on the first request: an MCP server answers initialize and tools/list
// without it, and loading it costs ~150 ms of every cold start.
let undici: Promise<typeof import("undici")> | undefined;
const loadUndici = () => {
  undici ??= import("undici");
  return undici;
};

function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined) return undefined;
  if (/^\d+$/.test(header)) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describeCause(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : error instanceof Error ? error.name : "unknown error";
}

/**
 * A typed client for the AgentRuntime inbound-webhook API, grouped by resource. Every
 * answer is parsed with the contract's schemas; failures are `AgentRuntimeError`s.
 */
export function createClient(options: ClientOptions) {
  const base = new URL(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 2;
  const retryBaseMs = options.retryBaseMs ?? 200;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 10_000;
  const userAgent = options.userAgent ?? "agentruntime-webhooks";

  async function attempt<S extends z.ZodType>(
    method: Dispatcher.HttpMethod,
    url: URL,
    call: CallOptions<S>,
  ): Promise<z.infer<S>> {
    const signals = [AbortSignal.timeout(timeoutMs), ...(call.signal ? [call.signal] : [])];
    const headers: Record<string, string> = {
      accept: "application/json",
      authorization: `Bearer ${options.token}`,
      "user-agent": userAgent,
      ...call.headers,
    };
    let payload: string | undefined;
    if (call.body !== undefined) {
      payload = JSON.stringify(call.body);
      headers["content-type"] = "application/json";
    }
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      const { request } = await loadUndici();
      response = await request(url, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.any(signals),
        dispatcher: options.dispatcher,
      });
      text = await response.body.text();
    } catch (error) {
      if (call.signal?.aborted) throw error;
      if ((error as Error)?.name === "TimeoutError" || signals[0]?.aborted) {
        throw new TimeoutError(
          `AgentRuntime at ${base.origin} did not answer ${method} ${url.pathname} within ${timeoutMs} ms.`,
        );
      }
      throw new ConnectionError(
        `Could not reach AgentRuntime at ${base.origin} (${describeCause(error)}); check that it is running and the URL is right.`,
        error,
      );
    }
    const requestId = response.headers["x-request-id"] as string | undefined;
    let json: unknown;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      if (!call.schema) return undefined as z.infer<S>;
      const parsed = call.schema.safeParse(json);
      if (!parsed.success) {
        throw new InvalidResponseError(
          `AgentRuntime answered ${method} ${url.pathname} with a body this client does not understand (status ${response.statusCode}).`,
          response.statusCode,
          requestId,
        );
      }
      return parsed.data;
    }
    const envelope = ErrorEnvelope.safeParse(json);
    throw new ApiError(
      response.statusCode,
      envelope.success ? envelope.data.error.code : `http_${response.statusCode}`,
      envelope.success
        ? envelope.data.error.message
        : `AgentRuntime answered ${method} ${url.pathname} with status ${response.statusCode} and no error details.`,
      requestId,
      retryAfterMs(response.headers["retry-after"]),
    );
  }

  async function call<S extends z.ZodType>(
    method: Dispatcher.HttpMethod,
    path: string,
    options: CallOptions<S>,
  ): Promise<z.infer<S>> {
    const url = new URL(path, base);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    for (let attemptNumber = 0; ; attemptNumber += 1) {
      try {
        return await attempt(method, url, options);
      } catch (error) {
        const transient =
          error instanceof ConnectionError ||
          error instanceof TimeoutError ||
          (error instanceof ApiError && error.retryable);
        if (!options.retry || !transient || attemptNumber >= maxRetries) throw error;
        const backoff = retryBaseMs * 2 ** attemptNumber * (0.5 + Math.random() / 2);
        const asked = error instanceof ApiError ? error.retryAfterMs : undefined;
        if (asked !== undefined && asked > maxRetryDelayMs) throw error;
        await sleep(Math.max(backoff, asked ?? 0));
      }
    }
  }

  const id = (value: string) => encodeURIComponent(value);

  return {
    inboundWebhooks: {
      list: (query: PageOptions & { workflow_id?: string } = {}) =>
        call("GET", "/v1/inbound-webhooks", {
          query: { ...query },
          schema: SubscriptionPage,
          retry: true,
        }),
      get: async (subscriptionId: string) =>
        (
          await call("GET", `/v1/inbound-webhooks/${id(subscriptionId)}`, {
            schema: SubscriptionAnswer,
            retry: true,
          })
        ).subscription,
      /** Creates a subscription; with an `idempotencyKey` a lost answer is retried safely. */
      create: (body: CreateSubscriptionRequest, options: { idempotencyKey?: string } = {}) =>
        call("POST", "/v1/inbound-webhooks", {
          body: CreateSubscriptionRequest.parse(body),
          headers: options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {},
          schema: CreateSubscriptionResponse,
          retry: options.idempotencyKey !== undefined,
        }),
      update: async (subscriptionId: string, change: UpdateSubscriptionRequest) =>
        (
          await call("PATCH", `/v1/inbound-webhooks/${id(subscriptionId)}`, {
            body: change,
            schema: SubscriptionAnswer,
            retry: false,
          })
        ).subscription,
      delete: (subscriptionId: string) =>
        call("DELETE", `/v1/inbound-webhooks/${id(subscriptionId)}`, { retry: false }),
      /** A new signing secret; the old one verifies for the overlap asked for. Never retried. */
      rotateSecret: (subscriptionId: string, body: RotateSecretRequest) =>
        call("POST", `/v1/inbound-webhooks/${id(subscriptionId)}/rotate-secret`, {
          body: RotateSecretRequest.parse(body),
          schema: RotateSecretResponse,
          retry: false,
        }),
      /** A server-signed test request through the real ingress path. */
      sendTest: (subscriptionId: string, body: TestDeliveryRequest = {}) =>
        call("POST", `/v1/inbound-webhooks/${id(subscriptionId)}/test`, {
          body,
          schema: TestDeliveryResponse,
          retry: false,
        }),
      /** Why a sender's signature fails, by category; it changes nothing, so it is retried. */
      diagnose: (subscriptionId: string, body: DiagnoseRequest) =>
        call("POST", `/v1/inbound-webhooks/${id(subscriptionId)}/diagnose`, {
          body,
          schema: DiagnoseResponse,
          retry: true,
        }),
    },
    deliveries: {
      list: (subscriptionId: string, query: PageOptions = {}) =>
        call("GET", `/v1/inbound-webhooks/${id(subscriptionId)}/deliveries`, {
          query: { ...query },
          schema: DeliveryPage,
          retry: true,
        }),
    },
    workflows: {
      list: (query: PageOptions = {}) =>
        call("GET", "/v1/workflows", { query: { ...query }, schema: WorkflowPage, retry: true }),
      get: async (workflowId: string) =>
        (
          await call("GET", `/v1/workflows/${id(workflowId)}`, {
            schema: WorkflowAnswer,
            retry: true,
          })
        ).workflow,
    },
    apiKeys: {
      list: (query: PageOptions = {}) =>
        call("GET", "/v1/api-keys", { query: { ...query }, schema: ApiKeyPage, retry: true }),
    },
    runs: {
      list: (query: PageOptions & { subscription_id?: string; workflow_id?: string } = {}) =>
        call("GET", "/v1/runs", { query: { ...query }, schema: RunPage, retry: true }),
      get: async (runId: string) =>
        (await call("GET", `/v1/runs/${id(runId)}`, { schema: RunAnswer, retry: true })).run,
    },
  };
}

export type AgentRuntimeClient = ReturnType<typeof createClient>;
