import { request } from "node:http";
import { expect } from "vitest";
import type { ApiAnswer, TestSandbox } from "../helpers/sandbox.js";

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

/** One raw request with node:http: odd methods, repeated headers, bodies sent in timed chunks. */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | string[]>;
    body?: Buffer | string;
    /** Leave the request open after the body instead of ending it. */
    holdOpen?: boolean;
  },
): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "POST", headers: options.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (chunk: Buffer) => parts.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(parts).toString("utf8");
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          const headers = new Headers();
          for (const [key, value] of Object.entries(res.headers)) {
            if (typeof value === "string") headers.set(key, value);
          }
          resolve({ status: res.statusCode ?? 0, headers, body, text });
        });
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    if (!options.holdOpen) req.end();
  });
}
