import type { AgentRuntimeClient } from "../client/client.js";
import type { Run } from "../contract/schemas.js";
import { signBody } from "../signing/signature.js";

export interface TestDelivery {
  status: number;
  code: string | null;
  run: Run | null;
}

/**
 * Sends one signed test request to an ingress URL the way a sender would, and reads back the
 * run it started. The secret and PAT are used for this request and not kept.
 */
export async function sendTestDelivery(
  client: AgentRuntimeClient,
  target: { ingressUrl: string; body: string; secret: string; pat: string },
): Promise<TestDelivery> {
  const response = await fetch(target.ingressUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${target.pat}`,
      "x-agentruntime-signature": signBody(target.body, target.secret),
    },
    body: target.body,
    signal: AbortSignal.timeout(15_000),
  });
  const answer = (await response.json().catch(() => ({}))) as {
    run_id?: string;
    error?: { code?: string };
  };
  if (response.status !== 202 || !answer.run_id) {
    return { status: response.status, code: answer.error?.code ?? null, run: null };
  }
  return { status: response.status, code: null, run: await client.runs.get(answer.run_id) };
}
