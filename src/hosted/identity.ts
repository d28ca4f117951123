import { createHash } from "node:crypto";

/**
 * Who a caller is, as stored: a digest of their AgentRuntime token. Setups and pages are bound
 * to it; the token itself is never written anywhere.
 */
export function ownerOf(token: string): string {
  return createHash("sha256").update(`agentruntime-webhooks owner\n${token}`).digest("hex");
}
