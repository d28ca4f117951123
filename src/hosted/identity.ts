import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The bearer token of a request, if it sent one. */
export function bearerOf(req: IncomingMessage): string | undefined {
  return /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
}

/**
 * Who a caller is, as stored: a digest of their AgentRuntime token. Setups and pages are bound
 * to it; the token itself is never written anywhere.
 */
export function ownerOf(token: string): string {
  return createHash("sha256").update(`agentruntime-webhooks owner\n${token}`).digest("hex");
}
