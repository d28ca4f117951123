import type { AgentRuntimeClient } from "../client/client.js";
import type { Run } from "../contract/schemas.js";
import { type DeliveryReport, fixFor, runSummary } from "../handoff/delivery-fixes.js";
import { signBody } from "../signing/signature.js";

export interface TestDelivery {
  status: number;
  code: string | null;
  /** The delivery AgentRuntime recorded (its `X-Delivery-Id`), so later waits start after it. */
  delivery_id: string | null;
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
    delivery_id?: string;
    error?: { code?: string };
  };
  const deliveryId = answer.delivery_id ?? response.headers.get("x-delivery-id");
  if (response.status !== 202 || !answer.run_id) {
    return {
      status: response.status,
      code: answer.error?.code ?? null,
      delivery_id: deliveryId,
      run: null,
    };
  }
  return {
    status: response.status,
    code: null,
    delivery_id: deliveryId,
    run: await client.runs.get(answer.run_id),
  };
}

/** The test as the wizard records it, the same way as a delivery it watched arrive. */
export function reportOfTest(test: TestDelivery): DeliveryReport {
  const accepted = test.status === 202 && test.run !== null;
  return {
    timed_out: false,
    delivery_id: test.delivery_id,
    accepted,
    status: test.status,
    reason: accepted ? null : test.code,
    fix: accepted ? null : fixFor(test.code, "person"),
    run: test.run ? runSummary(test.run) : null,
  };
}
