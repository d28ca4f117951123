import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCurlTemplate } from "../../src/signing/curl.js";
import { signBody } from "../../src/signing/signature.js";
import {
  type ApiAnswer,
  rawRequest,
  sendSigned,
  startTestSandbox,
  type TestSandbox,
} from "../helpers/sandbox.js";

const run = promisify(execFile);

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ maxBodyBytes: 4096 });
});
afterAll(() => sandbox.stop());

interface Hook {
  id: string;
  url: string;
  secret: string;
  pat: string;
}

let counter = 0;
async function createHook(
  extras?: Record<string, unknown>,
  workflowId = sandbox.shopify.id,
): Promise<Hook> {
  const answer = await sandbox.api("/v1/inbound-webhooks", {
    body: {
      workflow_id: workflowId,
      name: `ingress-${++counter}`,
      automation_pat_id: sandbox.vaultKey.id,
      ...(extras ? { extras } : {}),
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

function expectRejected(answer: ApiAnswer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.body?.error?.code).toBe(code);
  expect(answer.body.error.message).toEqual(expect.any(String));
}

async function deliveries(hook: Hook) {
  const answer = await sandbox.api(`/v1/inbound-webhooks/${hook.id}/deliveries?limit=200`);
  expect(answer.status).toBe(200);
  return answer.body.deliveries as {
    outcome: string;
    reason: string | null;
    status: number;
    run_id: string | null;
    body_sha256: string | null;
    body_bytes: number;
  }[];
}

describe("accepted deliveries start runs", () => {
  it("answers 202 with run and delivery ids, and the run carries the body", async () => {
    const hook = await createHook();
    const body = JSON.stringify({ order_id: "1001", sku: "TEE-M", quantity: 2 });
    const answer = await sendSigned(hook.url, body, hook);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ run_id: expect.any(String), delivery_id: expect.any(String) });
    const got = await sandbox.api(`/v1/runs/${answer.body.run_id}`);
    expect(got.status).toBe(200);
    expect(got.body.run).toMatchObject({
      id: answer.body.run_id,
      workflow_id: sandbox.shopify.id,
      subscription_id: hook.id,
      status: "succeeded",
      start_params: { webhook_payload: JSON.parse(body) },
    });
    const [delivery] = await deliveries(hook);
    expect(delivery).toMatchObject({
      outcome: "accepted",
      status: 202,
      reason: null,
      run_id: answer.body.run_id,
      body_bytes: Buffer.byteLength(body),
    });
  });

  it("merges run setup defaults < body < extras.trigger_payload, defaults only when opted in", async () => {
    const body = JSON.stringify({
      order_id: "A1",
      warehouse: "paris-2",
      source: "sender",
      extra: 1,
    });
    const optedIn = await createHook({
      use_run_setup_defaults: true,
      trigger_payload: { source: "shopify" },
    });
    const accepted = await sendSigned(optedIn.url, body, optedIn);
    const run = (await sandbox.api(`/v1/runs/${accepted.body.run_id}`)).body.run;
    expect(run.start_params.trigger_payload).toEqual({
      warehouse: "paris-2", // the body beats the saved default berlin-1
      priority: "normal", // the saved default fills what the body left out
      order_id: "A1",
      source: "shopify", // extras beat the body
      extra: 1,
    });
    expect(run.input).toEqual(run.start_params.trigger_payload);
    expect(run.start_params.webhook_payload).toEqual(JSON.parse(body));

    const optedOut = await createHook({ trigger_payload: { source: "shopify" } });
    const plain = await sendSigned(optedOut.url, body, optedOut);
    const plainRun = (await sandbox.api(`/v1/runs/${plain.body.run_id}`)).body.run;
    expect(plainRun.start_params.trigger_payload).toEqual({
      order_id: "A1",
      warehouse: "paris-2",
      source: "shopify",
      extra: 1,
    });
    expect(plainRun.start_params.trigger_payload).not.toHaveProperty("priority");
  });

  it("shows what each step read through {{input.*}}", async () => {
    const hook = await createHook({ use_run_setup_defaults: true });
    const body = JSON.stringify({
      order_id: "1002",
      sku: "MUG",
      quantity: 3,
      customer: { email: "ada@example.com" },
      source: "shopify",
    });
    const accepted = await sendSigned(hook.url, body, hook);
    const run = (await sandbox.api(`/v1/runs/${accepted.body.run_id}`)).body.run;
    expect(run.steps).toEqual([
      {
        name: "Validate order",
        template: "Order {{input.order_id}} accepted",
        received: { order_id: "1002" },
        output: "Order 1002 accepted",
      },
      {
        name: "Reserve stock",
        template: "Reserve {{input.quantity}} x {{input.sku}} in {{input.warehouse}}",
        received: { quantity: 3, sku: "MUG", warehouse: "berlin-1" },
        output: "Reserve 3 x MUG in berlin-1",
      },
      {
        name: "Notify customer",
        template:
          "Email {{input.customer.email}} (priority {{input.priority}}, from {{input.source}})",
        received: { "customer.email": "ada@example.com", priority: "normal", source: "shopify" },
        output: "Email ada@example.com (priority normal, from shopify)",
      },
    ]);
  });

  it("fails the run at a step whose required input is missing", async () => {
    const hook = await createHook();
    const accepted = await sendSigned(hook.url, JSON.stringify({ sku: "MUG" }), hook);
    expect(accepted.status).toBe(202);
    const run = (await sandbox.api(`/v1/runs/${accepted.body.run_id}`)).body.run;
    expect(run.status).toBe("failed");
    expect(run.error).toContain("input.order_id");
    expect(run.steps).toEqual([]);
  });

  it("lists runs by subscription and by workflow, newest first", async () => {
    const hook = await createHook(undefined, sandbox.weekly.id);
    const ids: string[] = [];
    for (const week of [1, 2, 3]) {
      ids.push((await sendSigned(hook.url, JSON.stringify({ week }), hook)).body.run_id);
    }
    const bySubscription = await sandbox.api(`/v1/runs?subscription_id=${hook.id}`);
    expect(bySubscription.body.runs.map((r: { id: string }) => r.id)).toEqual(ids.reverse());
    const byWorkflow = await sandbox.api(`/v1/runs?workflow_id=${sandbox.weekly.id}&limit=2`);
    expect(byWorkflow.body.runs).toHaveLength(2);
    expect(byWorkflow.body.next_cursor).toEqual(expect.any(String));
    const unknown = await sandbox.api("/v1/runs/00000000-0000-4000-8000-000000000000");
    expectRejected(unknown, 404, "run_not_found");
  });
});

describe("rejections, in the contract's order, each recorded", () => {
  it("405 for a method other than POST, with Allow: POST", async () => {
    const hook = await createHook();
    const answer = await rawRequest(hook.url, { method: "PUT", body: [Buffer.from("{}")] });
    expectRejected(answer, 405, "method_not_allowed");
    expect(answer.headers.get("allow")).toBe("POST");
    const [delivery] = await deliveries(hook);
    expect(delivery).toMatchObject({
      outcome: "rejected",
      reason: "method_not_allowed",
      status: 405,
    });
  });

  it("413 for a body over the limit, declared or streamed", async () => {
    const hook = await createHook();
    const big = JSON.stringify({ pad: "x".repeat(5000) });
    expectRejected(await sendSigned(hook.url, big, hook), 413, "payload_too_large");
    const chunked = await rawRequest(hook.url, {
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      body: [Buffer.alloc(3000, 0x20), Buffer.alloc(3000, 0x20)],
    });
    expectRejected(chunked, 413, "payload_too_large");
    const recorded = await deliveries(hook);
    expect(recorded.map((d) => d.reason)).toEqual(["payload_too_large", "payload_too_large"]);
    expect(recorded[1]?.body_bytes).toBe(Buffer.byteLength(big));
    expect(recorded[0]?.body_sha256).toBeNull();
  });

  it("413 is checked before the content type, and 415 before the subscription", async () => {
    const hook = await createHook();
    const big = "x".repeat(5000);
    expectRejected(
      await sendSigned(hook.url, big, hook, { headers: { "content-type": "text/plain" } }),
      413,
      "payload_too_large",
    );
    const missing = `${sandbox.url}/v1/inbound-webhooks/00000000-0000-4000-8000-000000000000`;
    expectRejected(
      await sendSigned(missing, "{}", hook, { headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
  });

  it("415 for a non-JSON type, a non-UTF-8 charset or any Content-Encoding", async () => {
    const hook = await createHook();
    const variants: Record<string, string>[] = [
      { "content-type": "text/plain" },
      { "content-type": "application/x-www-form-urlencoded" },
      { "content-type": "application/json; charset=latin1" },
      { "content-type": "application/json", "content-encoding": "gzip" },
      { "content-type": "application/json", "content-encoding": "identity" },
    ];
    for (const headers of variants) {
      expectRejected(
        await sendSigned(hook.url, "{}", hook, { headers }),
        415,
        "unsupported_media_type",
      );
    }
    for (const type of ["application/json; charset=utf-8", "application/vnd.shop+json"]) {
      const ok = await sendSigned(hook.url, JSON.stringify({ order_id: "1" }), hook, {
        headers: { "content-type": type },
      });
      expect(ok.status).toBe(202);
    }
  });

  it("404 for no such subscription, and after delete", async () => {
    const hook = await createHook();
    const missing = `${sandbox.url}/v1/inbound-webhooks/00000000-0000-4000-8000-000000000000`;
    expectRejected(await sendSigned(missing, "{}", hook), 404, "not_found");
    expectRejected(
      await sendSigned(`${sandbox.url}/v1/inbound-webhooks/not-a-uuid`, "{}", hook),
      404,
      "not_found",
    );
    expect((await sendSigned(hook.url, JSON.stringify({ order_id: "1" }), hook)).status).toBe(202);
    expect(
      (await sandbox.api(`/v1/inbound-webhooks/${hook.id}`, { method: "DELETE" })).status,
    ).toBe(204);
    expectRejected(
      await sendSigned(hook.url, JSON.stringify({ order_id: "1" }), hook),
      404,
      "not_found",
    );
    const recorded = sandbox.store.db
      .prepare("SELECT reason FROM deliveries WHERE subscription_id = id_bytes(?) ORDER BY seq")
      .all(hook.id);
    // After the delete there is no subscription, so the 404 is only counted, never stored.
    expect(recorded).toEqual([{ reason: null }]);
  });

  it("401 invalid_automation_token for a missing, malformed, repeated or foreign bearer", async () => {
    const hook = await createHook();
    const body = JSON.stringify({ order_id: "1" });
    const cases: Record<string, string | string[]>[] = [
      { authorization: "" },
      { authorization: "Token pat_abc" },
      { authorization: `Bearer ${sandbox.legacyKey.pat}` },
      { authorization: `Bearer ${sandbox.tokens.contributor}` },
      { authorization: "Bearer pat_" },
    ];
    for (const headers of cases) {
      expectRejected(
        await sendSigned(hook.url, body, hook, { headers: headers as Record<string, string> }),
        401,
        "invalid_automation_token",
      );
    }
    const repeated = await rawRequest(hook.url, {
      headers: {
        "content-type": "application/json",
        authorization: [`Bearer ${hook.pat}`, `Bearer ${hook.pat}`],
        "x-agentruntime-signature": signBody(body, hook.secret),
      },
      body: [Buffer.from(body)],
    });
    expectRejected(repeated, 401, "invalid_automation_token");
    const reasons = (await deliveries(hook)).map((d) => d.reason);
    expect(reasons).toEqual(Array(6).fill("invalid_automation_token"));
  });

  it("the bearer is checked before the signature", async () => {
    const hook = await createHook();
    expectRejected(
      await sendSigned(hook.url, "{}", hook, {
        headers: { authorization: "Bearer pat_wrong", "x-agentruntime-signature": "garbage" },
      }),
      401,
      "invalid_automation_token",
    );
  });

  it("401 invalid_signature for missing, malformed, repeated or wrong signatures", async () => {
    const hook = await createHook();
    const body = JSON.stringify({ order_id: "7", note: "a b" });
    const good = signBody(body, hook.secret);
    const cases: { headers: Record<string, string>; send?: string; message: RegExp }[] = [
      { headers: { "x-agentruntime-signature": "" }, message: /Send X-Agentruntime-Signature/ },
      {
        headers: { "x-agentruntime-signature": good.replace("sha256=", "SHA256=") },
        message: /64 lowercase hex/,
      },
      {
        headers: { "x-agentruntime-signature": good.toUpperCase().replace("SHA256=", "sha256=") },
        message: /64 lowercase hex/,
      },
      { headers: { "x-agentruntime-signature": good.slice(0, -1) }, message: /64 lowercase hex/ },
      {
        headers: { "x-agentruntime-signature": signBody(body, "whsec_another") },
        message: /does not match/,
      },
      { headers: {}, send: JSON.stringify(JSON.parse(body), null, 2), message: /does not match/ },
      { headers: {}, send: `${body}\n`, message: /does not match/ },
    ];
    for (const item of cases) {
      // sendSigned signs what it sends; to send other bytes under the original signature, fix the header
      const headers = item.send ? { "x-agentruntime-signature": good } : item.headers;
      const answer = await sendSigned(hook.url, item.send ?? body, hook, { headers });
      expectRejected(answer, 401, "invalid_signature");
      expect(answer.body.error.message).toMatch(item.message);
      expect(answer.text).not.toContain(good.slice(7));
    }
    const repeated = await rawRequest(hook.url, {
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${hook.pat}`,
        "x-agentruntime-signature": [good, good],
      },
      body: [Buffer.from(body)],
    });
    expectRejected(repeated, 401, "invalid_signature");
    expect(repeated.body.error.message).toMatch(/exactly once/);
    const recorded = await deliveries(hook);
    expect(recorded).toHaveLength(cases.length + 1);
    expect(recorded.every((d) => d.reason === "invalid_signature" && d.run_id === null)).toBe(true);
  });

  it("parses JSON only after the signature holds: 400 invalid_json, then 422 payload_not_object", async () => {
    const hook = await createHook();
    expectRejected(
      await sendSigned(hook.url, "{nope", hook, {
        headers: { "x-agentruntime-signature": "sha256=00" },
      }),
      401,
      "invalid_signature",
    );
    expectRejected(await sendSigned(hook.url, "{nope", hook), 400, "invalid_json");
    expectRejected(await sendSigned(hook.url, "", hook), 400, "invalid_json");
    expectRejected(
      await sendSigned(hook.url, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), hook),
      400,
      "invalid_json",
    );
    for (const body of ["[1,2]", '"text"', "null", "42"]) {
      expectRejected(await sendSigned(hook.url, body, hook), 422, "payload_not_object");
    }
    const recorded = await deliveries(hook);
    expect(recorded.map((d) => d.reason)).toEqual([
      "payload_not_object",
      "payload_not_object",
      "payload_not_object",
      "payload_not_object",
      "invalid_json",
      "invalid_json",
      "invalid_json",
      "invalid_signature",
    ]);
    const runs = await sandbox.api(`/v1/runs?subscription_id=${hook.id}`);
    expect(runs.body.runs).toEqual([]);
  });

  it("records the hash and size of a rejected body, never the body", async () => {
    const hook = await createHook();
    const body = JSON.stringify({ secret_note: "do-not-store-me" });
    await sendSigned(hook.url, body, hook, { headers: { authorization: "Bearer pat_nope" } });
    const [delivery] = await deliveries(hook);
    expect(delivery?.body_bytes).toBe(Buffer.byteLength(body));
    expect(delivery?.body_sha256).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify(sandbox.store.db.prepare("SELECT * FROM deliveries").all());
    expect(dump).not.toContain("do-not-store-me");
  });
});

describe("parallel ingress", () => {
  it("starts exactly one run per accepted delivery, none lost", async () => {
    const hook = await createHook(undefined, sandbox.weekly.id);
    const total = 120;
    const answers = await Promise.all(
      Array.from({ length: total }, (_, week) =>
        sendSigned(hook.url, JSON.stringify({ week }), hook),
      ),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    const runIds = new Set(answers.map((a) => a.body.run_id));
    expect(runIds.size).toBe(total);
    const runs = (await sandbox.api(`/v1/runs?subscription_id=${hook.id}&limit=200`)).body.runs;
    expect(runs).toHaveLength(total);
    expect(new Set(runs.map((r: { id: string }) => r.id))).toEqual(runIds);
    const weeks = runs
      .map((r: { input: { week: number } }) => r.input.week)
      .sort((a: number, b: number) => a - b);
    expect(weeks).toEqual(Array.from({ length: total }, (_, week) => week));
    const recorded = await deliveries(hook);
    expect(recorded).toHaveLength(total);
    expect(new Set(recorded.map((d) => d.run_id))).toEqual(runIds);
  });
});

describe("real senders", () => {
  it("accepts a body signed by the seed's Python sign_body and sent with curl", async () => {
    const hook = await createHook({
      use_run_setup_defaults: true,
      trigger_payload: { source: "shopify" },
    });
    const body = '{"order_id": "py-1", "note": "caf\u00e9", "quantity": 1}';
    const python = [
      "import hmac, hashlib, sys",
      "def sign_body(payload_body: bytes, secret: str) -> str:",
      "    digest = hmac.new(secret.encode(), payload_body, hashlib.sha256).hexdigest()",
      '    return f"sha256={digest}"',
      "print(sign_body(sys.argv[1].encode('utf-8'), sys.argv[2]))",
    ].join("\n");
    const { stdout: signature } = await run("python3", ["-c", python, body, hook.secret]);
    const { stdout } = await run("curl", [
      "-sS",
      "-X",
      "POST",
      hook.url,
      "-H",
      "Content-Type: application/json",
      "-H",
      `Authorization: Bearer ${hook.pat}`,
      "-H",
      `X-Agentruntime-Signature: ${signature.trim()}`,
      "--data-binary",
      body,
      "-w",
      "\n%{http_code}",
    ]);
    const [json, status] = stdout.split("\n");
    expect(status).toBe("202");
    const run_ = (await sandbox.api(`/v1/runs/${JSON.parse(json as string).run_id}`)).body.run;
    expect(run_.start_params.trigger_payload).toEqual({
      warehouse: "berlin-1",
      priority: "normal",
      order_id: "py-1",
      note: "café",
      quantity: 1,
      source: "shopify",
    });
  });

  it("accepts the curl template run with bash, with the secret and PAT from the environment", async () => {
    const hook = await createHook();
    const body = JSON.stringify({ order_id: "it's-$HOME", emoji: "🛒" });
    const script = buildCurlTemplate({ ingressUrl: hook.url, body });
    const { stdout } = await run("bash", ["-c", script], {
      env: {
        PATH: process.env.PATH,
        AGENTRUNTIME_SIGNING_SECRET: hook.secret,
        AGENTRUNTIME_PAT: hook.pat,
      },
    });
    expect(stdout).toContain("HTTP 202");
    const runId = JSON.parse(stdout.split("\n")[0] as string).run_id;
    const run_ = (await sandbox.api(`/v1/runs/${runId}`)).body.run;
    expect(run_.start_params.webhook_payload).toEqual(JSON.parse(body));
  });
});

describe("the inbound_webhooks switch", () => {
  it("answers 404 inbound_webhooks_disabled on management and ingress when off", async () => {
    const off = await startTestSandbox({ inboundWebhooks: false });
    try {
      for (const answer of [
        await off.api("/v1/inbound-webhooks"),
        await off.api("/v1/inbound-webhooks", { body: { name: "x" } }),
        await off.api("/v1/inbound-webhooks/00000000-0000-4000-8000-000000000000"),
        await off.api("/v1/inbound-webhooks/00000000-0000-4000-8000-000000000000/deliveries"),
        await sendSigned(
          `${off.url}/v1/inbound-webhooks/00000000-0000-4000-8000-000000000000`,
          "{}",
          {
            secret: "whsec_x",
            pat: off.vaultKey.pat,
          },
        ),
      ]) {
        expectRejected(answer, 404, "inbound_webhooks_disabled");
        expect(answer.body.error.message).toContain("inbound_webhooks");
      }
      expect((await off.api("/v1/workflows")).status).toBe(200);
      expect((await off.api("/v1/api-keys")).status).toBe(200);
    } finally {
      await off.stop();
    }
  });
});
