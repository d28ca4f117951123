import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiAnswer,
  sendSigned,
  startTestSandbox,
  type TestSandbox,
} from "../helpers/sandbox.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.stop());

describe("secrets never leave through answers or logs", () => {
  it("keeps signing secrets and PATs out of every answer but create, and out of the log", async () => {
    const answers: ApiAnswer[] = [];
    const keep = (answer: ApiAnswer) => {
      answers.push(answer);
      return answer;
    };
    const vault = await sandbox.api("/v1/inbound-webhooks", {
      body: {
        workflow_id: sandbox.shopify.id,
        name: "vault",
        automation_pat_id: sandbox.vaultKey.id,
      },
    });
    const pasted = await sandbox.api("/v1/inbound-webhooks", {
      body: {
        workflow_id: sandbox.shopify.id,
        name: "pasted",
        automation_pat_id: sandbox.legacyKey.id,
        automation_bearer: sandbox.legacyKey.pat,
      },
      headers: { "idempotency-key": "secret-scan" },
    });
    expect([vault.status, pasted.status]).toEqual([201, 201]);
    const secrets = [vault.body.signing_secret, pasted.body.signing_secret];
    for (const create of [vault, pasted]) {
      // the create answer holds its own secret once, and no PAT
      expect(create.text.split(create.body.signing_secret)).toHaveLength(2);
      expect(create.text).not.toContain(sandbox.legacyKey.pat);
      expect(create.text).not.toContain(sandbox.vaultKey.pat);
    }

    const hook = { secret: vault.body.signing_secret, pat: sandbox.vaultKey.pat };
    keep(await sendSigned(vault.body.ingress_url, JSON.stringify({ order_id: "1" }), hook));
    keep(await sendSigned(vault.body.ingress_url, "{}", { ...hook, secret: "whsec_wrong" }));
    keep(await sendSigned(vault.body.ingress_url, "{}", { ...hook, pat: sandbox.legacyKey.pat }));
    keep(
      await sendSigned(pasted.body.ingress_url, JSON.stringify({ order_id: "2" }), {
        secret: pasted.body.signing_secret,
        pat: sandbox.legacyKey.pat,
      }),
    );
    keep(
      await sandbox.api("/v1/inbound-webhooks", {
        body: {
          workflow_id: sandbox.shopify.id,
          name: "mismatch",
          automation_pat_id: sandbox.vaultKey.id,
          automation_bearer: sandbox.legacyKey.pat,
        },
      }),
    );
    keep(
      await sandbox.api("/v1/inbound-webhooks", {
        body: {
          workflow_id: sandbox.shopify.id,
          name: "pasted",
          automation_pat_id: sandbox.legacyKey.id,
          automation_bearer: sandbox.legacyKey.pat,
        },
      }),
    );
    keep(await sandbox.api("/v1/inbound-webhooks"));
    keep(await sandbox.api("/v1/inbound-webhooks", { token: sandbox.tokens.viewer }));
    for (const create of [vault, pasted]) {
      const id = create.body.subscription.id;
      keep(await sandbox.api(`/v1/inbound-webhooks/${id}`));
      keep(await sandbox.api(`/v1/inbound-webhooks/${id}/deliveries`));
      keep(await sandbox.api(`/v1/runs?subscription_id=${id}`));
      keep(
        await sandbox.api(`/v1/inbound-webhooks/${id}`, {
          method: "PATCH",
          body: { extras: { trigger_payload: { tag: "x" } } },
        }),
      );
    }
    keep(await sandbox.api("/v1/api-keys"));
    keep(await sandbox.api("/v1/workflows"));

    const forbidden = [
      ...secrets,
      sandbox.vaultKey.pat,
      sandbox.legacyKey.pat,
      sandbox.tokens.contributor,
      sandbox.tokens.viewer,
    ];
    const everything = [...answers.map((a) => a.text), ...sandbox.logs].join("\n");
    expect(answers.length).toBeGreaterThan(15);
    expect(sandbox.logs.length).toBeGreaterThan(15);
    for (const secret of forbidden) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/whsec_[A-Za-z0-9_-]{20,}/);
    expect(everything).not.toMatch(/pat_[A-Za-z0-9_-]{20,}/);
  });
});
