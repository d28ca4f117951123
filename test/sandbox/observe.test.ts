import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signBody } from "../../src/signing/signature.js";
import { sendSigned, startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
let clock = Date.now();
beforeAll(async () => {
  sandbox = await startTestSandbox({ now: () => new Date(clock) });
});
afterAll(() => sandbox.stop());

let counter = 0;
async function createHook(keyId = sandbox.vaultKey.id, workflowId = sandbox.shopify.id) {
  const answer = await sandbox.api("/v1/inbound-webhooks", {
    body: {
      workflow_id: workflowId,
      name: `observe-${++counter}`,
      automation_pat_id: keyId,
      ...(keyId === sandbox.legacyKey.id ? { automation_bearer: sandbox.legacyKey.pat } : {}),
    },
  });
  expect(answer.status).toBe(201);
  return {
    id: answer.body.subscription.id as string,
    url: answer.body.ingress_url as string,
    secret: answer.body.signing_secret as string,
  };
}

const body = JSON.stringify({ order_id: "r-1" });
const send = (url: string, secret: string, pat = sandbox.vaultKey.pat, payload = body) =>
  sendSigned(url, payload, { secret, pat });
const rotate = (id: string, request: unknown, token?: string) =>
  sandbox.api(`/v1/inbound-webhooks/${id}/rotate-secret`, {
    body: request,
    ...(token ? { token } : {}),
  });

describe("secret rotation with an overlap", () => {
  it("keeps the old secret working for the overlap, then only the new one", async () => {
    const hook = await createHook();
    const rotated = await rotate(hook.id, { previous_secret_ttl_seconds: 3600 });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.signing_secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(hook.secret);
    expect(rotated.body.subscription.signing_secret_hint).toBe(`…${fresh.slice(-4)}`);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - clock).toBe(3600 * 1000);
    expect((await send(hook.url, hook.secret)).status).toBe(202);
    expect((await send(hook.url, fresh)).status).toBe(202);
    const got = await sandbox.api(`/v1/inbound-webhooks/${hook.id}`);
    expect(got.text).not.toContain(fresh);
    clock += 3601 * 1000;
    try {
      const late = await send(hook.url, hook.secret);
      expect(late.status).toBe(401);
      expect(late.body.error.code).toBe("invalid_signature");
      expect((await send(hook.url, fresh)).status).toBe(202);
    } finally {
      clock -= 3601 * 1000;
    }
  });

  it("refuses a second rotation inside the window unless forced; a forced one retires the oldest", async () => {
    const hook = await createHook();
    const first = (await rotate(hook.id, { previous_secret_ttl_seconds: 600 })).body
      .signing_secret as string;
    const refused = await rotate(hook.id, { previous_secret_ttl_seconds: 600 });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("rotation_in_progress");
    expect(refused.body.error.message).toMatch(/force: true/);
    const second = await rotate(hook.id, { previous_secret_ttl_seconds: 600, force: true });
    expect(second.status).toBe(200);
    expect((await send(hook.url, hook.secret)).status).toBe(401);
    expect((await send(hook.url, first)).status).toBe(202);
    expect((await send(hook.url, second.body.signing_secret)).status).toBe(202);
  });

  it("with no overlap, the old secret stops at once", async () => {
    const hook = await createHook();
    const rotated = await rotate(hook.id, { previous_secret_ttl_seconds: 0 });
    expect(rotated.body.previous_secret_expires_at).toBeNull();
    expect((await send(hook.url, hook.secret)).status).toBe(401);
    expect((await send(hook.url, rotated.body.signing_secret)).status).toBe(202);
    expect((await rotate(hook.id, { previous_secret_ttl_seconds: 0 })).status).toBe(200);
  });

  it("validates the request and the role", async () => {
    const hook = await createHook();
    for (const request of [
      {},
      { previous_secret_ttl_seconds: -1 },
      { previous_secret_ttl_seconds: 1.5 },
      { previous_secret_ttl_seconds: 8 * 24 * 3600 },
      { previous_secret_ttl_seconds: 0, extra: 1 },
    ]) {
      const answer = await rotate(hook.id, request);
      expect(answer.status, JSON.stringify(request)).toBe(400);
      expect(answer.body.error.code).toBe("validation_failed");
    }
    expect(
      (await rotate(hook.id, { previous_secret_ttl_seconds: 0 }, sandbox.tokens.viewer)).status,
    ).toBe(403);
    expect(
      (await rotate("00000000-0000-4000-8000-000000000000", { previous_secret_ttl_seconds: 0 }))
        .status,
    ).toBe(404);
  });
});

describe("pause and resume", () => {
  it("answers 503 with Retry-After while paused, records the attempt, and starts runs again when resumed", async () => {
    const hook = await createHook();
    const paused = await sandbox.api(`/v1/inbound-webhooks/${hook.id}`, {
      method: "PATCH",
      body: { enabled: false },
    });
    expect(paused.body.subscription.enabled).toBe(false);
    const refused = await send(hook.url, hook.secret);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("subscription_paused");
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(refused.headers.get("x-delivery-id")).toMatch(/^[0-9a-f-]{36}$/);
    const deliveries = (await sandbox.api(`/v1/inbound-webhooks/${hook.id}/deliveries`)).body
      .deliveries;
    expect(deliveries[0]).toMatchObject({
      status: 503,
      reason: "subscription_paused",
      id: refused.headers.get("x-delivery-id"),
    });
    await sandbox.api(`/v1/inbound-webhooks/${hook.id}`, {
      method: "PATCH",
      body: { enabled: true },
    });
    expect((await send(hook.url, hook.secret)).status).toBe(202);
    expect(
      (
        await sandbox.api(`/v1/inbound-webhooks/${hook.id}`, {
          method: "PATCH",
          body: { enabled: "no" },
        })
      ).status,
    ).toBe(400);
  });
});

describe("server-signed test deliveries", () => {
  it("sends a sample through the real ingress path and answers with the delivery and run", async () => {
    const hook = await createHook();
    const answer = await sandbox.api(`/v1/inbound-webhooks/${hook.id}/test`, { body: {} });
    expect(answer.status).toBe(200);
    expect(answer.body.delivery).toMatchObject({ outcome: "accepted", status: 202 });
    expect(answer.body.run.input).toMatchObject({
      order_id: "example-order-id",
      sku: "example-sku",
    });
    const custom = await sandbox.api(`/v1/inbound-webhooks/${hook.id}/test`, {
      body: { payload: { order_id: "T-9" } },
    });
    expect(custom.body.run.input).toEqual({ order_id: "T-9" });
    expect(answer.text).not.toContain(hook.secret);
  });

  it("records a paused webhook's refusal, and cannot sign for a key outside the vault", async () => {
    const hook = await createHook();
    await sandbox.api(`/v1/inbound-webhooks/${hook.id}`, {
      method: "PATCH",
      body: { enabled: false },
    });
    const paused = await sandbox.api(`/v1/inbound-webhooks/${hook.id}/test`, { body: {} });
    expect(paused.body).toMatchObject({
      delivery: { outcome: "rejected", reason: "subscription_paused" },
      run: null,
    });
    const legacy = await createHook(sandbox.legacyKey.id);
    const refused = await sandbox.api(`/v1/inbound-webhooks/${legacy.id}/test`, { body: {} });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("pat_secret_not_in_vault");
  });
});

describe("the signature doctor", () => {
  it("names each kind of mismatch and never the expected signature", async () => {
    const hook = await createHook();
    const old = hook.secret;
    const rotated = (await rotate(hook.id, { previous_secret_ttl_seconds: 0 })).body
      .signing_secret as string;
    const sent = '{"order_id":"d-1","note":"café"}';
    const pretty = JSON.stringify(JSON.parse(sent), null, 2);
    const python = '{"order_id": "d-1", "note": "caf\\u00e9"}';
    const cases: [string, string, string][] = [
      ["valid", sent, signBody(sent, rotated)],
      ["missing", sent, ""],
      ["wrong_prefix_or_case", sent, signBody(sent, rotated).replace("sha256=", "SHA256=")],
      ["wrong_prefix_or_case", sent, `sha256=${signBody(sent, rotated).slice(7).toUpperCase()}`],
      ["malformed", sent, "sha256=abc"],
      ["malformed", sent, `${signBody(sent, rotated)}, ${signBody(sent, rotated)}`],
      ["trailing_newline", sent, signBody(`${sent}\n`, rotated)],
      ["reserialized_json", sent, signBody(pretty, rotated)],
      ["encoding", sent, signBody(python, rotated)],
      ["encoding", sent, signBody(Buffer.from(sent, "latin1"), rotated)],
      ["rotated_out_secret", sent, signBody(sent, old)],
      ["other_secret_or_body", sent, signBody(sent, "whsec_someone-else")],
    ];
    for (const [category, text, signature] of cases) {
      const answer = await sandbox.api(`/v1/inbound-webhooks/${hook.id}/diagnose`, {
        body: { body: text, signature },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.category, `${category}: ${signature}`).toBe(category);
      expect(answer.body.fix.length).toBeGreaterThan(20);
      expect(answer.text).not.toContain(signBody(text, rotated).slice(7));
      expect(answer.text).not.toContain(rotated);
    }
  });

  it("recognises the previous secret during an overlap", async () => {
    const hook = await createHook();
    await rotate(hook.id, { previous_secret_ttl_seconds: 600 });
    const answer = await sandbox.api(`/v1/inbound-webhooks/${hook.id}/diagnose`, {
      body: { body, signature: signBody(body, hook.secret) },
    });
    expect(answer.body.category).toBe("valid_previous_secret");
  });
});
