import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signBody } from "../../src/signing/signature.js";
import { rawRequest, sendSigned, startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { createHook, deliveriesOf } from "./kit.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ requestTimeoutMs: 1500 });
});
afterAll(() => sandbox?.stop());

const rowCount = async (sql: string) => {
  return (sandbox.store.db.prepare(sql).get() as { n: number }).n;
};

/** Waits until the webhook has `count` deliveries, since a dropped connection gets no answer to wait for. */
async function waitForDeliveries(hookId: string, count: number) {
  for (let round = 0; round < 200; round += 1) {
    const listed = await deliveriesOf(sandbox, hookId);
    if (listed.length >= count) return listed;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`webhook ${hookId} never had ${count} deliveries`);
}

describe("defect 1: anonymous ingress cannot grow storage", () => {
  it("stores no row for unknown or malformed ids, whatever their length", async () => {
    const before = await rowCount("SELECT count(*) AS n FROM deliveries");
    const longId = "x".repeat(12_000);
    const targets = [
      `${sandbox.url}/v1/inbound-webhooks/${longId}`,
      `${sandbox.url}/v1/inbound-webhooks/${randomUUID()}`,
      `${sandbox.url}/v1/inbound-webhooks/not-a-uuid`,
    ];
    for (let round = 0; round < 20; round += 1) {
      for (const url of targets) {
        const answer = await rawRequest(url, {
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        expect(answer.status).toBe(404);
        expect(answer.body.error.code).toBe("not_found");
      }
    }
    const wrongMethod = await rawRequest(`${sandbox.url}/v1/inbound-webhooks/${longId}`, {
      method: "PUT",
    });
    expect(wrongMethod.status).toBe(405);
    expect(await rowCount("SELECT count(*) AS n FROM deliveries")).toBe(before);
    expect(
      (await rowCount("SELECT max(length(subscription_id)) AS n FROM deliveries")) ?? 0,
    ).toBeLessThan(40);
  });

  it("a broken percent-encoding in the id is a 404, not a 500", async () => {
    const answer = await rawRequest(`${sandbox.url}/v1/inbound-webhooks/%E0%A4%A`, {
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(answer.status).toBe(404);
    const managed = await sandbox.api("/v1/inbound-webhooks/%E0%A4%A/deliveries");
    expect(managed.status).toBe(404);
    expect(sandbox.logs.join("\n")).not.toContain("internal error");
  });

  it("counts attempts on no subscription per day, status and reason, and keeps the counts", async () => {
    const dir = sandbox.dir;
    const own = await startTestSandbox({ dir: join(dir, "counted") });
    for (let i = 0; i < 30; i += 1) {
      await rawRequest(`${own.url}/v1/inbound-webhooks/${randomUUID()}`, {
        headers: { "content-type": "application/json" },
        body: "{}",
      });
    }
    await rawRequest(`${own.url}/v1/inbound-webhooks/anything`, {
      headers: { "content-type": "text/plain" },
      body: "hi",
    });
    await own.stop();
    const db = new Database(join(dir, "counted", "sandbox.db"), { readonly: true });
    const counts = db.prepare("SELECT status, reason, attempts FROM unmatched_ingress").all();
    db.close();
    expect(counts).toEqual(
      expect.arrayContaining([
        { status: 404, reason: "not_found", attempts: 30 },
        { status: 415, reason: "unsupported_media_type", attempts: 1 },
      ]),
    );
  });

  it("still records every attempt on a real subscription", async () => {
    const hook = await createHook(sandbox);
    await rawRequest(hook.url, { method: "PUT" });
    await rawRequest(hook.url, { headers: { "content-type": "application/json" }, body: "{}" });
    await sendSigned(hook.url, '{"order_id":"1"}', hook);
    const listed = await deliveriesOf(sandbox, hook.id);
    expect(listed.map((delivery) => [delivery.status, delivery.reason])).toEqual([
      [202, null],
      [401, "invalid_automation_token"],
      [405, "method_not_allowed"],
    ]);
  });
});

describe("defect 4: deep JSON is a recorded 400, a dropped connection is not a bug", () => {
  const deepArrays = `{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
  const deepObjects = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;

  it.each([
    ["arrays", deepArrays],
    ["objects", deepObjects],
  ])("100k nested %s answer 400 json_too_deep and are recorded", async (_kind, body) => {
    const hook = await createHook(sandbox);
    const answer = await sendSigned(hook.url, body, hook);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("json_too_deep");
    const [delivery] = await deliveriesOf(sandbox, hook.id);
    expect(delivery).toMatchObject({ status: 400, reason: "json_too_deep", outcome: "rejected" });
    expect(sandbox.logs.join("\n")).not.toContain("internal error");
  });

  it("nesting up to the bound is accepted", async () => {
    const hook = await createHook(sandbox);
    const body = `{"order_id":"1","deep":${"[".repeat(62)}${"]".repeat(62)}}`;
    expect((await sendSigned(hook.url, body, hook)).status).toBe(202);
  });

  it("a deep merge patch or create body is a 400 too", async () => {
    const hook = await createHook(sandbox);
    const deepPatch = `{"extras":{"trigger_payload":${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}}}`;
    const patched = await sandbox.api(`/v1/inbound-webhooks/${hook.id}`, {
      method: "PATCH",
      body: deepPatch,
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error.code).toBe("json_too_deep");
  });

  it("a client that disconnects mid-body is recorded as such, with no internal error", async () => {
    const hook = await createHook(sandbox);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(hook.url).port), "127.0.0.1", () => {
        socket.write(
          `POST ${new URL(hook.url).pathname} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"order`,
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    const [delivery] = await waitForDeliveries(hook.id, 1);
    expect(delivery).toMatchObject({ status: 499, reason: "client_closed_request" });
    expect(sandbox.logs.join("\n")).not.toContain("internal error");
  });
});

describe("defect 6: a byte order mark is not JSON", () => {
  it("answers 400 invalid_json, says to drop the BOM, and records it", async () => {
    const hook = await createHook(sandbox);
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"order_id":"1"}')]);
    const answer = await sendSigned(hook.url, body, hook);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_json");
    expect(answer.body.error.message).toMatch(/byte order mark/);
    const [delivery] = await deliveriesOf(sandbox, hook.id);
    expect(delivery).toMatchObject({ status: 400, reason: "invalid_json" });
  });
});

describe("defect 7: slow requests are cut", () => {
  it("a body that does not arrive in time answers 408 request_timeout and is recorded", async () => {
    const hook = await createHook(sandbox);
    const body = '{"order_id":"1"}';
    const answer = await rawRequest(hook.url, {
      headers: {
        "content-type": "application/json",
        "content-length": String(body.length),
        authorization: `Bearer ${hook.pat}`,
        "x-agentruntime-signature": signBody(body, hook.secret),
      },
      body: body.slice(0, 3),
      holdOpen: true,
    });
    expect(answer.status).toBe(408);
    expect(answer.body.error.code).toBe("request_timeout");
    const [delivery] = await deliveriesOf(sandbox, hook.id);
    expect(delivery).toMatchObject({ status: 408, reason: "request_timeout" });
  });

  it("headers that never end are cut with a 408 and the connection closed", async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(sandbox.url).port), "127.0.0.1", () => {
        socket.write("POST /v1/inbound-webhooks/x HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      });
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString();
      });
      socket.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe("defect 8: __proto__ is refused, not dropped", () => {
  it("a PATCH whose extras carry __proto__ answers 400 and changes nothing", async () => {
    const hook = await createHook(sandbox);
    const answer = await sandbox.api(`/v1/inbound-webhooks/${hook.id}`, {
      method: "PATCH",
      body: '{"extras":{"__proto__":{"use_run_setup_defaults":true}}}',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("validation_failed");
    expect(answer.body.error.message).toContain("__proto__");
    const got = await sandbox.api(`/v1/inbound-webhooks/${hook.id}`);
    expect(got.body.subscription.extras.use_run_setup_defaults).toBe(false);
  });

  it("so does a create body", async () => {
    const answer = await sandbox.api("/v1/inbound-webhooks", {
      body: `{"workflow_id":"${sandbox.shopify.id}","name":"proto","automation_pat_id":"${sandbox.vaultKey.id}","extras":{"trigger_payload":{"__proto__":{"x":1}}}}`,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain("__proto__");
  });
});
