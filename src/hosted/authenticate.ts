import type { ServerResponse } from "node:http";
import { type ClientOptions, createClient } from "../client/client.js";
import { ApiError } from "../client/errors.js";
import { refuse } from "../mcp/http-limits.js";
import { ownerOf } from "./identity.js";

/** What AgentRuntime says of a bearer: a caller it knows, one it does not, or nothing (unreachable). */
export type Verdict = "known" | "unknown" | "unavailable";

/** A verdict is reused this long, so a conversation's calls cost one check, and a revoked token stops soon. */
const VERDICT_TTL_MS = 30_000;
/** Verdicts kept at most; past it the oldest is dropped, so junk tokens cannot grow memory. */
const MAX_VERDICTS = 10_000;

export interface CallerCheckOptions {
  apiUrl: string;
  /** Client settings beside the base URL and token (tests shorten retries). */
  client?: Omit<ClientOptions, "baseUrl" | "token">;
  /** Counts each refused request, by why. */
  refused?: (reason: "unauthenticated" | "unavailable") => void;
  now?: () => number;
}

/**
 * Asks AgentRuntime whether it knows a bearer, with the cheapest call every role may make (one
 * workflow). Verdicts are cached briefly under a digest of the token, never the token itself.
 */
export function createVerdicts(options: CallerCheckOptions): (token: string) => Promise<Verdict> {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { verdict: Promise<Verdict>; until: number }>();
  return (token) => {
    const key = ownerOf(token);
    const cached = cache.get(key);
    if (cached && cached.until > now()) return cached.verdict;
    cache.delete(key);
    const client = createClient({ ...options.client, baseUrl: options.apiUrl, token });
    const verdict = client.workflows.list({ limit: 1 }).then(
      (): Verdict => "known",
      (error: unknown): Verdict => {
        if (error instanceof ApiError && error.status === 401) return "unknown";
        // A known caller whose role may not list workflows is still a known caller.
        if (error instanceof ApiError && error.status === 403) return "known";
        return "unavailable";
      },
    );
    if (cache.size >= MAX_VERDICTS) cache.delete(cache.keys().next().value as string);
    cache.set(key, { verdict, until: now() + VERDICT_TTL_MS });
    // An outage says nothing about the token: the next request asks again.
    void verdict.then((settled) => {
      if (settled === "unavailable") cache.delete(key);
    });
    return verdict;
  };
}

/**
 * The door of a hosted `/mcp`: lets a request through only when AgentRuntime knows its bearer,
 * before any tool is listed or any row written; otherwise answers 401 (or 503) and says false.
 */
export function callerGate(
  options: CallerCheckOptions,
): (bearer: string, res: ServerResponse) => Promise<boolean> {
  const verdictOf = createVerdicts(options);
  return async (bearer, res) => {
    const verdict = await verdictOf(bearer);
    if (verdict === "known") return true;
    options.refused?.(verdict === "unknown" ? "unauthenticated" : "unavailable");
    if (verdict === "unknown") {
      refuse(
        res,
        401,
        -32001,
        "Unauthorized: AgentRuntime does not accept your bearer token. Sign in to AgentRuntime again and send your valid user token as the bearer.",
        { "www-authenticate": 'Bearer error="invalid_token"' },
      );
      return false;
    }
    refuse(
      res,
      503,
      -32001,
      "AgentRuntime could not be reached to check your token. Try again in a minute.",
      { "retry-after": "5" },
    );
    return false;
  };
}
