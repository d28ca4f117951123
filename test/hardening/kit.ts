import { expect } from "vitest";
import type { TestSandbox } from "../helpers/sandbox.js";

/** A webhook created for a hardening test, with what a sender holds. */
export interface Hook {
  id: string;
  url: string;
  secret: string;
  pat: string;
}

let counter = 0;

/** Creates a webhook on the demo Shopify workflow, tied to the demo key that is in Vault. */
export async function createHook(sandbox: TestSandbox, name?: string): Promise<Hook> {
  const answer = await sandbox.api("/v1/inbound-webhooks", {
    body: {
      workflow_id: sandbox.shopify.id,
      name: name ?? `hardening-${process.pid}-${++counter}`,
      automation_pat_id: sandbox.vaultKey.id,
    },
  });
  expect(answer.status).toBe(201);
  return {
    id: answer.body.subscription.id,
    url: answer.body.ingress_url,
    secret: answer.body.signing_secret,
    pat: sandbox.vaultKey.pat,
  };
}

/** The deliveries of a webhook, newest first, as the management API lists them. */
export async function deliveriesOf(sandbox: TestSandbox, hookId: string) {
  const answer = await sandbox.api(`/v1/inbound-webhooks/${hookId}/deliveries?limit=200`);
  expect(answer.status).toBe(200);
  return answer.body.deliveries as {
    id: string;
    outcome: string;
    reason: string | null;
    status: number;
    run_id: string | null;
  }[];
}
