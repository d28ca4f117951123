import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateSubscriptionResponse, Subscription } from "../../src/contract/schemas.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.stop());

let counter = 0;
const uniqueName = (prefix = "hook") => `${prefix}-${++counter}`;

async function create(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return sandbox.api("/v1/inbound-webhooks", {
    body: {
      workflow_id: sandbox.shopify.id,
      name: uniqueName(),
      automation_pat_id: sandbox.vaultKey.id,
      ...body,
    },
    headers,
  });
}

function expectError(answer: { status: number; body: unknown }, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ error: { code, message: expect.any(String) } });
  const { message } = (answer.body as { error: { message: string } }).error;
  expect(message.length).toBeGreaterThan(20);
}

describe("authentication and roles", () => {
  it("answers 401 unauthenticated without a token or with an unknown one", async () => {
    expectError(await sandbox.api("/v1/inbound-webhooks", { token: null }), 401, "unauthenticated");
    expectError(await sandbox.api("/v1/workflows", { token: "usr_nope" }), 401, "unauthenticated");
    expectError(
      await sandbox.api("/v1/api-keys", { token: null, headers: { authorization: "Basic abc" } }),
      401,
      "unauthenticated",
    );
  });

  it("lets a viewer read but not write", async () => {
    const viewer = sandbox.tokens.viewer;
    expect((await sandbox.api("/v1/inbound-webhooks", { token: viewer })).status).toBe(200);
    expect((await sandbox.api("/v1/workflows", { token: viewer })).status).toBe(200);
    const created = await create({});
    expect(created.status).toBe(201);
    const id = created.body.subscription.id;
    expect((await sandbox.api(`/v1/inbound-webhooks/${id}`, { token: viewer })).status).toBe(200);
    expectError(
      await sandbox.api("/v1/inbound-webhooks", {
        token: viewer,
        body: {
          workflow_id: sandbox.shopify.id,
          name: "x",
          automation_pat_id: sandbox.vaultKey.id,
        },
      }),
      403,
      "forbidden",
    );
    expectError(
      await sandbox.api(`/v1/inbound-webhooks/${id}`, {
        token: viewer,
        method: "PATCH",
        body: { name: "renamed" },
      }),
      403,
      "forbidden",
    );
    expectError(
      await sandbox.api(`/v1/inbound-webhooks/${id}`, { token: viewer, method: "DELETE" }),
      403,
      "forbidden",
    );
    expect((await sandbox.api(`/v1/inbound-webhooks/${id}`)).body.subscription.name).toBe(
      created.body.subscription.name,
    );
  });
});

describe("workflows and API keys", () => {
  it("lists workflows newest first and gets one", async () => {
    const list = await sandbox.api("/v1/workflows");
    expect(list.status).toBe(200);
    expect(list.body.workflows.map((w: { name: string }) => w.name)).toEqual([
      "Lead routing (draft)",
      "Fulfil Shopify order",
      "Weekly report",
    ]);
    expect(list.body.next_cursor).toBeNull();
    const one = await sandbox.api(`/v1/workflows/${sandbox.shopify.id}`);
    expect(one.body.workflow).toMatchObject({
      id: sandbox.shopify.id,
      status: "saved",
      run_setup_defaults: { warehouse: "berlin-1" },
    });
    expectError(
      await sandbox.api("/v1/workflows/00000000-0000-4000-8000-000000000000"),
      404,
      "workflow_not_found",
    );
    expectError(await sandbox.api("/v1/workflows/not-a-uuid"), 404, "workflow_not_found");
  });

  it("lists API keys with hints only", async () => {
    const list = await sandbox.api("/v1/api-keys");
    expect(list.status).toBe(200);
    expect(list.body.api_keys).toHaveLength(2);
    for (const key of list.body.api_keys) {
      expect(Object.keys(key).sort()).toEqual(["created_at", "hint", "id", "in_vault", "name"]);
      expect(key.hint).toMatch(/^pat_….{4}$/);
    }
    expect(list.text).not.toContain(sandbox.vaultKey.pat);
    expect(list.text).not.toContain(sandbox.legacyKey.pat);
  });

  it("refuses other methods with 405 and an Allow header", async () => {
    const answer = await sandbox.api("/v1/workflows", { method: "DELETE" });
    expectError(answer, 405, "method_not_allowed");
    expect(answer.headers.get("allow")).toBe("GET");
  });

  it("answers unknown paths with 404", async () => {
    expectError(await sandbox.api("/v2/nothing"), 404, "not_found");
  });
});

describe("create", () => {
  it("creates a subscription and returns the secret once, with a matching subscription", async () => {
    const name = uniqueName("shopify-orders");
    const answer = await create({ name: `  ${name}  ` });
    expect(answer.status).toBe(201);
    const created = CreateSubscriptionResponse.parse(answer.body);
    expect(created.signing_secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.subscription.name).toBe(name);
    expect(created.ingress_path).toBe(`/v1/inbound-webhooks/${created.subscription.id}`);
    expect(created.ingress_url).toBe(sandbox.url + created.ingress_path);
    expect(created.subscription.signing_secret_hint).toBe(`…${created.signing_secret.slice(-4)}`);
    expect(created.subscription.automation_pat_hint).toBe(`pat_…${sandbox.vaultKey.pat.slice(-4)}`);
    expect(created.subscription.extras).toEqual({
      use_run_setup_defaults: false,
      trigger_payload: {},
    });
    expect(answer.headers.get("location")).toBe(created.ingress_path);

    const got = await sandbox.api(`/v1/inbound-webhooks/${created.subscription.id}`);
    expect(Subscription.parse(got.body.subscription)).toEqual(created.subscription);
    expect(got.text).not.toContain(created.signing_secret);
  });

  it("takes extras on create", async () => {
    const answer = await create({
      extras: { use_run_setup_defaults: true, trigger_payload: { source: "shopify" } },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.subscription.extras).toEqual({
      use_run_setup_defaults: true,
      trigger_payload: { source: "shopify" },
    });
  });

  it("refuses an unknown workflow (404) and a draft workflow (409)", async () => {
    expectError(
      await create({ workflow_id: "00000000-0000-4000-8000-000000000000" }),
      404,
      "workflow_not_found",
    );
    expectError(await create({ workflow_id: sandbox.draft.id }), 409, "workflow_is_draft");
  });

  it("applies the name rules", async () => {
    expectError(await create({ name: "   " }), 400, "validation_failed");
    expectError(await create({ name: "x".repeat(65) }), 400, "validation_failed");
    expect((await create({ name: "y".repeat(64) })).status).toBe(201);
    expectError(await create({ name: "bad\u0007bell" }), 400, "validation_failed");
    expectError(await create({ name: "bad\nline" }), 400, "validation_failed");
    const name = uniqueName("dup");
    expect((await create({ name })).status).toBe(201);
    expectError(await create({ name }), 409, "name_taken");
    expectError(await create({ name: name.toUpperCase() }), 409, "name_taken");
    // unique per workflow, so another workflow may reuse it
    expect((await create({ name, workflow_id: sandbox.weekly.id })).status).toBe(201);
  });

  it("names the failing field without echoing the value", async () => {
    const answer = await create({ name: 42, workflow_id: "nope" });
    expectError(answer, 400, "validation_failed");
    expect(answer.body.error.message).toMatch(/workflow_id/);
    expect(answer.body.error.message).toMatch(/name/);
    const unknown = await create({ colour: "blue" });
    expectError(unknown, 400, "validation_failed");
    expect(unknown.body.error.message).toContain("colour");
  });

  it("requires a PAT by id or pasted", async () => {
    expectError(await create({ automation_pat_id: undefined }), 400, "validation_failed");
    expectError(
      await create({ automation_pat_id: "00000000-0000-4000-8000-000000000000" }),
      404,
      "api_key_not_found",
    );
  });

  it("asks for a paste when the chosen PAT is not in the vault, and accepts the paste", async () => {
    const refused = await create({ automation_pat_id: sandbox.legacyKey.id });
    expectError(refused, 422, "pat_secret_not_in_vault");
    const pasted = await create({
      automation_pat_id: sandbox.legacyKey.id,
      automation_bearer: sandbox.legacyKey.pat,
    });
    expect(pasted.status).toBe(201);
    expect(pasted.body.subscription.automation_pat_id).toBe(sandbox.legacyKey.id);
    const pastedOnly = await create({
      automation_pat_id: undefined,
      automation_bearer: sandbox.legacyKey.pat,
    });
    expect(pastedOnly.status).toBe(201);
    expect(pastedOnly.body.subscription.automation_pat_id).toBe(sandbox.legacyKey.id);
    expect(pastedOnly.text).not.toContain(sandbox.legacyKey.pat);
  });

  it("answers pat_mismatch for a paste of another key or of no key, without echoing it", async () => {
    const other = await create({
      automation_pat_id: sandbox.legacyKey.id,
      automation_bearer: sandbox.vaultKey.pat,
    });
    expectError(other, 422, "pat_mismatch");
    expect(other.text).not.toContain(sandbox.vaultKey.pat);
    const stranger = "pat_thisIsNotAKeyOfTheProjectAtAll0000000000";
    const unknown = await create({ automation_pat_id: undefined, automation_bearer: stranger });
    expectError(unknown, 422, "pat_mismatch");
    expect(unknown.text).not.toContain(stranger);
  });

  it("rejects bodies that are not JSON, not JSON typed, or too large", async () => {
    expectError(
      await sandbox.api("/v1/inbound-webhooks", { body: "{not json", method: "POST" }),
      400,
      "invalid_json",
    );
    expectError(
      await sandbox.api("/v1/inbound-webhooks", {
        body: "{}",
        headers: { "content-type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
    expectError(
      await sandbox.api("/v1/inbound-webhooks", { body: [1, 2] }),
      400,
      "validation_failed",
    );
    expectError(
      await sandbox.api("/v1/inbound-webhooks", {
        body: JSON.stringify({ pad: "x".repeat(1024 * 1024) }),
      }),
      413,
      "payload_too_large",
    );
  });

  it("validates extras on create", async () => {
    expectError(
      await create({ extras: { use_run_setup_defaults: "yes" } }),
      400,
      "validation_failed",
    );
    expectError(await create({ extras: { unknown_flag: true } }), 400, "validation_failed");
    expectError(
      await create({ extras: { trigger_payload: { big: "z".repeat(17 * 1024) } } }),
      400,
      "validation_failed",
    );
  });
});

describe("Idempotency-Key", () => {
  it("replays the first answer for the same key and body and creates nothing", async () => {
    const body = { name: uniqueName("idem") };
    const key = crypto.randomUUID();
    const first = await create(body, { "idempotency-key": key });
    const again = await create(body, { "idempotency-key": key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const list = await sandbox.api(
      `/v1/inbound-webhooks?workflow_id=${sandbox.shopify.id}&limit=200`,
    );
    const named = list.body.subscriptions.filter((s: { name: string }) => s.name === body.name);
    expect(named).toHaveLength(1);
  });

  it("refuses the same key with a different body", async () => {
    const key = crypto.randomUUID();
    expect((await create({ name: uniqueName("k1") }, { "idempotency-key": key })).status).toBe(201);
    expectError(
      await create({ name: uniqueName("k2") }, { "idempotency-key": key }),
      409,
      "idempotency_key_reused",
    );
  });

  it("does not remember a failed create, so the same key can be retried with a paste", async () => {
    const key = crypto.randomUUID();
    const name = uniqueName("retry");
    expectError(
      await create({ name, automation_pat_id: sandbox.legacyKey.id }, { "idempotency-key": key }),
      422,
      "pat_secret_not_in_vault",
    );
    const ok = await create(
      { name, automation_pat_id: sandbox.legacyKey.id, automation_bearer: sandbox.legacyKey.pat },
      { "idempotency-key": key },
    );
    expect(ok.status).toBe(201);
  });

  it("rejects a malformed key", async () => {
    expectError(await create({}, { "idempotency-key": "has space" }), 400, "validation_failed");
    expectError(await create({}, { "idempotency-key": "k".repeat(256) }), 400, "validation_failed");
  });

  it("keeps keys per user", async () => {
    // a viewer cannot create, so the key space of the contributor is the only one in use
    const key = crypto.randomUUID();
    expect((await create({ name: uniqueName("scoped") }, { "idempotency-key": key })).status).toBe(
      201,
    );
    expect(
      sandbox.store.db.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE key = ?").get(key),
    ).toEqual({ n: 1 });
    const stored = sandbox.store.db
      .prepare("SELECT response FROM idempotency_keys WHERE key = ?")
      .get(key) as { response: string };
    expect(stored.response).not.toContain("whsec_");
  });
});

describe("list, get, update, delete", () => {
  it("pages newest first with a cursor and filters by workflow", async () => {
    const names: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const name = uniqueName("page");
      names.push(name);
      expect((await create({ name, workflow_id: sandbox.weekly.id })).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `workflow_id=${sandbox.weekly.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await sandbox.api(`/v1/inbound-webhooks?${query}`);
      expect(page.status).toBe(200);
      expect(page.body.subscriptions.length).toBeLessThanOrEqual(2);
      for (const s of page.body.subscriptions) {
        expect(s.workflow_id).toBe(sandbox.weekly.id);
        seen.push(s.name);
      }
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(seen.slice(0, 5)).toEqual([...names].reverse());
    expect(new Set(seen).size).toBe(seen.length);
    const all = await sandbox.api(
      `/v1/inbound-webhooks?workflow_id=${sandbox.weekly.id}&limit=200`,
    );
    expect(all.body.subscriptions.map((s: { name: string }) => s.name)).toEqual(seen);
  });

  it("validates paging and filter parameters", async () => {
    expectError(await sandbox.api("/v1/inbound-webhooks?limit=0"), 400, "validation_failed");
    expectError(await sandbox.api("/v1/inbound-webhooks?limit=201"), 400, "validation_failed");
    expectError(await sandbox.api("/v1/inbound-webhooks?limit=abc"), 400, "validation_failed");
    expectError(await sandbox.api("/v1/inbound-webhooks?cursor=bogus"), 400, "validation_failed");
    expectError(await sandbox.api("/v1/inbound-webhooks?workflow_id=x"), 400, "validation_failed");
    const limited = await sandbox.api("/v1/inbound-webhooks?limit=1");
    expect(limited.body.subscriptions).toHaveLength(1);
    expect(limited.body.next_cursor).toEqual(expect.any(String));
  });

  it("gets one or answers 404", async () => {
    expectError(
      await sandbox.api("/v1/inbound-webhooks/00000000-0000-4000-8000-000000000000"),
      404,
      "subscription_not_found",
    );
  });

  it("patches the name and merges extras as RFC 7396", async () => {
    const created = await create({
      extras: {
        use_run_setup_defaults: true,
        trigger_payload: { source: "shopify", region: "eu" },
      },
    });
    const id = created.body.subscription.id;
    const patched = await sandbox.api(`/v1/inbound-webhooks/${id}`, {
      method: "PATCH",
      body: { name: "renamed-hook", extras: { trigger_payload: { region: null, tier: "gold" } } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.subscription).toMatchObject({
      name: "renamed-hook",
      extras: {
        use_run_setup_defaults: true,
        trigger_payload: { source: "shopify", tier: "gold" },
      },
    });
    expect(patched.body.subscription.updated_at >= created.body.subscription.updated_at).toBe(true);
    const reset = await sandbox.api(`/v1/inbound-webhooks/${id}`, {
      method: "PATCH",
      body: { extras: { use_run_setup_defaults: null, trigger_payload: null } },
    });
    expect(reset.body.subscription.extras).toEqual({
      use_run_setup_defaults: false,
      trigger_payload: {},
    });
    expect(reset.body.subscription.name).toBe("renamed-hook");
  });

  it("refuses bad patches", async () => {
    const a = await create({});
    const b = await create({});
    const id = b.body.subscription.id;
    const patch = (body: unknown) =>
      sandbox.api(`/v1/inbound-webhooks/${id}`, { method: "PATCH", body });
    expectError(await patch({}), 400, "validation_failed");
    expectError(await patch({ name: a.body.subscription.name }), 409, "name_taken");
    expectError(await patch({ extras: { use_run_setup_defaults: 1 } }), 400, "validation_failed");
    expectError(await patch({ extras: { trigger_payload: [1] } }), 400, "validation_failed");
    expectError(await patch({ extras: { surprise: true } }), 400, "validation_failed");
    expectError(await patch({ workflow_id: sandbox.weekly.id }), 400, "validation_failed");
    expectError(
      await sandbox.api("/v1/inbound-webhooks/00000000-0000-4000-8000-000000000000", {
        method: "PATCH",
        body: { name: "z" },
      }),
      404,
      "subscription_not_found",
    );
    // a rejected patch changed nothing
    const after = await sandbox.api(`/v1/inbound-webhooks/${id}`);
    expect(after.body.subscription).toEqual(b.body.subscription);
  });

  it("deletes with 204, then answers 404", async () => {
    const created = await create({});
    const id = created.body.subscription.id;
    const deleted = await sandbox.api(`/v1/inbound-webhooks/${id}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expectError(await sandbox.api(`/v1/inbound-webhooks/${id}`), 404, "subscription_not_found");
    expectError(
      await sandbox.api(`/v1/inbound-webhooks/${id}`, { method: "DELETE" }),
      404,
      "subscription_not_found",
    );
    // the name is free again
    expect((await create({ name: created.body.subscription.name })).status).toBe(201);
  });
});

describe("every answer carries a request id", () => {
  it("sets X-Request-Id on success and error", async () => {
    expect((await sandbox.api("/v1/workflows")).headers.get("x-request-id")).toMatch(
      /^req_[0-9a-f]{16}$/,
    );
    expect(
      (await sandbox.api("/v1/workflows", { token: null })).headers.get("x-request-id"),
    ).toMatch(/^req_/);
  });
});
