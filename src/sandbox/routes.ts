import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeSegment, sendJson } from "./http.js";
import { handleIngress } from "./ingress.js";
import type { IngressWriter } from "./ingress-writer.js";
import * as management from "./management.js";
import { ApiProblem, problems } from "./problems.js";
import type { UnmatchedIngressTally } from "./unmatched.js";

/** One endpoint: the request, and the id its path captured ("" when it has none). */
export type Handler = (request: management.Request, id: string) => void | Promise<void>;

/** A path and the handler of each method it answers; any other method is a 405. */
export interface Route {
  pattern: RegExp;
  methods: Readonly<Record<string, Handler>>;
}

/** What the endpoints need: the database, the ingress writer and the deployment's settings. */
export interface RouteDeps extends management.ManagementDeps {
  writes: IngressWriter;
  /** Counts attempts that name no subscription, so anonymous traffic grows no table. */
  unmatched: UnmatchedIngressTally;
  maxBodyBytes: number;
  /** How long a body may take to arrive after its headers. */
  bodyTimeoutMs: number;
  /** The deployment's `inbound_webhooks` switch: off, every webhook endpoint answers 404. */
  inboundWebhooks: boolean;
  /** Where this process listens, for requests it sends to itself (test deliveries). */
  selfUrl: () => string;
}

/** Answers a request: resolves with the status sent, or throws an `ApiProblem`. */
export type Router = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<number>;

/**
 * The management API, path by path. Adding an endpoint: a handler in management.ts and a
 * line here; `webhook` marks the ones the `inbound_webhooks` switch turns off.
 */
export function managementRoutes(deps: RouteDeps): Route[] {
  const webhook =
    (handler: Handler): Handler =>
    (request, id) => {
      if (!deps.inboundWebhooks) throw problems.disabled();
      return handler(request, id);
    };
  return [
    {
      pattern: /^\/v1\/inbound-webhooks$/,
      methods: {
        GET: webhook((r) => management.listSubscriptions(r, deps)),
        POST: webhook((r) => management.createSubscription(r, deps)),
      },
    },
    {
      // Methods not listed here are ingress attempts, answered by the router itself.
      pattern: /^\/v1\/inbound-webhooks\/([^/]+)$/,
      methods: {
        GET: webhook((r, id) => management.getSubscription(r, deps, id)),
        PATCH: webhook((r, id) => management.updateSubscription(r, deps, id)),
        DELETE: webhook((r, id) => management.deleteSubscription(r, deps, id)),
      },
    },
    {
      pattern: /^\/v1\/inbound-webhooks\/([^/]+)\/deliveries$/,
      methods: { GET: webhook((r, id) => management.listDeliveries(r, deps, id)) },
    },
    {
      pattern: /^\/v1\/inbound-webhooks\/([^/]+)\/rotate-secret$/,
      methods: { POST: webhook((r, id) => management.rotateSecret(r, deps, id)) },
    },
    {
      pattern: /^\/v1\/inbound-webhooks\/([^/]+)\/test$/,
      methods: { POST: webhook((r, id) => management.sendTest(r, deps, id)) },
    },
    {
      pattern: /^\/v1\/inbound-webhooks\/([^/]+)\/diagnose$/,
      methods: { POST: webhook((r, id) => management.diagnose(r, deps, id)) },
    },
    { pattern: /^\/v1\/workflows$/, methods: { GET: (r) => management.listWorkflows(r, deps) } },
    {
      pattern: /^\/v1\/workflows\/([^/]+)$/,
      methods: { GET: (r, id) => management.getWorkflow(r, deps, id) },
    },
    { pattern: /^\/v1\/api-keys$/, methods: { GET: (r) => management.listApiKeys(r, deps) } },
    { pattern: /^\/v1\/runs$/, methods: { GET: (r) => management.listRuns(r, deps) } },
    {
      pattern: /^\/v1\/runs\/([^/]+)$/,
      methods: { GET: (r, id) => management.getRun(r, deps, id) },
    },
  ];
}

const INGRESS_PATH = /^\/v1\/inbound-webhooks\/([^/]+)$/;

/**
 * The sandbox's router: health, then the management routes, with every other method on a
 * webhook's own path taken as an ingress attempt (POST, or a wrong method to record).
 */
export function createRouter(deps: RouteDeps): Router {
  const routes = managementRoutes(deps);
  return async (req, res, url) => {
    const method = req.method ?? "GET";
    if (url.pathname === "/healthz" && method === "GET") {
      // Unhealthy while writes fail, so a probe sees a full disk that ingress answers 503.
      const writable = deps.store.writable();
      sendJson(res, writable ? 200 : 503, { ok: writable });
      return writable ? 200 : 503;
    }
    for (const { pattern, methods } of routes) {
      const match = pattern.exec(url.pathname);
      if (!match) continue;
      const handler = methods[method];
      if (handler) {
        await handler({ req, res, url }, decodeSegment(match[1] ?? "") ?? "");
        return res.statusCode;
      }
      if (INGRESS_PATH.test(url.pathname)) {
        if (!deps.inboundWebhooks) throw problems.disabled();
        // A broken percent-encoding cannot name a subscription; ingress answers it 404.
        return handleIngress(req, res, decodeSegment(match[1] ?? "") ?? "", deps);
      }
      const allowed = Object.keys(methods).join(", ");
      throw new ApiProblem(
        405,
        "method_not_allowed",
        `${method} is not supported here; use ${Object.keys(methods).join(" or ")}.`,
        { allow: allowed },
      );
    }
    throw new ApiProblem(
      404,
      "not_found",
      "There is no such endpoint; the API lives under /v1 (see the README for the list).",
    );
  };
}
